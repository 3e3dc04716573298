/**
 * The main listener's limits against real sockets: a client that aborts its upload is a client
 * abort (info, no stack, outcome `client_aborted`, status 499), not a 500; a body that trickles in
 * slower than REQUEST_TIMEOUT_MS is cut off; HEADERS_TIMEOUT_MS and MAX_CONNECTIONS hold.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { parseExposition, sum } from '../helpers/metrics.js';

const TOKEN = 'metrics-token-0123456789abcdef';

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') lines.push(JSON.parse(line));
    },
  };
  return { lines, logger: createLogger({ level: 'debug', pretty: false, destination }) };
}

function open(gateway: TestGateway): Promise<Socket> {
  const { port, hostname } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Headers of a JSON POST to /graphql declaring `length` body bytes, as user-1. */
function postHeaders(gateway: TestGateway, length: number): string {
  const key = gateway.as('user-1')['x-api-key'];
  return [
    'POST /graphql HTTP/1.1',
    `host: ${new URL(gateway.url).host}`,
    'content-type: application/json',
    'accept: application/graphql-response+json',
    `x-api-key: ${key}`,
    `content-length: ${length}`,
    '',
    '',
  ].join('\r\n');
}

/** Resolves when the server closes the socket, with what it sent back. */
function whenClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('utf8');
  });
  return new Promise((resolve) => {
    socket.on('close', () => resolve(received));
    socket.on('error', () => undefined);
  });
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function requestsCounted(gateway: TestGateway, labels: Record<string, string>): Promise<number> {
  const response = await fetch(`${gateway.origin}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return sum(parseExposition(await response.text()), 'switchyard_request_duration_seconds_count', labels);
}

describe('server limits', () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('logs an upload the client aborts at info without a stack, and counts it as client_aborted, not a 500', async () => {
    const { lines, logger } = memoryLogger();
    gateway = await startTestGateway({ env: { METRICS_TOKEN: TOKEN }, logger });
    const socket = await open(gateway);
    socket.write(postHeaders(gateway, 1000));
    socket.write('{"query":"');
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();

    await until(() => lines.some((line) => line.msg === 'request' && line.path === '/graphql'));
    const access = lines.find((line) => line.msg === 'request' && line.path === '/graphql');
    expect(access).toMatchObject({ level: 30, status: 499, outcome: 'client_aborted' });
    expect(lines.filter((line) => (line.level as number) >= 40)).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
    expect(await requestsCounted(gateway, { outcome: 'client_aborted' })).toBe(1);
    expect(await requestsCounted(gateway, { outcome: 'server_error' })).toBe(0);
  });

  it('records a client that leaves while its operation runs as client_aborted, not as upstream failures', async () => {
    const { lines, logger } = memoryLogger();
    gateway = await startTestGateway({ env: { METRICS_TOKEN: TOKEN }, logger });
    gateway.sandboxes.market.control.setFaults({ latencyMs: 300 });
    const body = JSON.stringify({ query: '{ token(id: "bitcoin") { symbol } }' });
    const socket = await open(gateway);
    socket.write(postHeaders(gateway, Buffer.byteLength(body)) + body);
    // The request is in flight, waiting on the market: the client goes away.
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();

    await until(() => lines.some((line) => line.msg === 'request' && line.path === '/graphql'));
    const access = lines.find((line) => line.msg === 'request' && line.path === '/graphql');
    expect(access).toMatchObject({ level: 30, status: 499, outcome: 'client_aborted' });
    expect(access).not.toHaveProperty('errorCodes');
    expect(await requestsCounted(gateway, { outcome: 'client_aborted' })).toBe(1);
    const metrics = await fetch(`${gateway.origin}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(sum(parseExposition(await metrics.text()), 'switchyard_graphql_errors_total', {})).toBe(0);
  });

  it('cuts off a body that trickles in slower than REQUEST_TIMEOUT_MS with 408, and keeps serving', async () => {
    const { lines, logger } = memoryLogger();
    gateway = await startTestGateway({
      env: { HEADERS_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '800' },
      logger,
    });
    const socket = await open(gateway);
    const closed = whenClosed(socket);
    const started = Date.now();
    socket.write(postHeaders(gateway, 1000));
    // 10 bytes every 200 ms: 20 s for the whole body, were it not cut off.
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('          ');
    }, 200);
    const received = await closed;
    clearInterval(trickle);
    const elapsed = Date.now() - started;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(2_500);
    // The body never arrived and the connection is gone: recorded like a client abort, never a 500.
    await until(() => lines.some((line) => line.msg === 'request' && line.path === '/graphql'));
    expect(lines.find((line) => line.msg === 'request')).toMatchObject({ level: 30, status: 499 });
    expect(lines.filter((line) => (line.level as number) >= 40)).toEqual([]);
    const reply = await gateway.graphql('{ token(id: "bitcoin") { symbol } }');
    expect(reply.body.data).toEqual({ token: { symbol: 'BTC' } });
  });

  it('closes a connection whose headers do not arrive within HEADERS_TIMEOUT_MS', async () => {
    gateway = await startTestGateway({ env: { HEADERS_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '5000' } });
    const socket = await open(gateway);
    const closed = whenClosed(socket);
    const started = Date.now();
    socket.write('POST /graphql HTTP/1.1\r\nhost: localhost\r\n');
    const received = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('accepts at most MAX_CONNECTIONS connections at once', async () => {
    gateway = await startTestGateway({ env: { MAX_CONNECTIONS: '2' } });
    const held = [await open(gateway), await open(gateway)];
    const extra = await open(gateway);
    const received = await whenClosed(extra);
    expect(received).toBe('');
    for (const socket of held) socket.destroy();
    // Once the held connections are gone, new ones are served again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reply = await gateway.graphql('{ token(id: "bitcoin") { symbol } }');
    expect(reply.status).toBe(200);
  });
});
