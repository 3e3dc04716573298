import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tradingService } from '../../sources/trading/index.js';
import { startTradingSandbox } from '../../sources/trading/sandbox/server.js';
import { createGrpcUpstream } from '../../src/upstream/grpc.js';
import { createHttpUpstream } from '../../src/upstream/http.js';
import type { UpstreamCallInfo, UpstreamObserver, UpstreamOutcome } from '../../src/upstream/observer.js';

interface Observed {
  info: UpstreamCallInfo;
  outcome?: UpstreamOutcome;
  code?: string | undefined;
  status?: number | undefined;
}

function recordingObserver(): { observer: UpstreamObserver; calls: Observed[]; retries: string[] } {
  const calls: Observed[] = [];
  const retries: string[] = [];
  return {
    calls,
    retries,
    observer: {
      startCall(info, carrier) {
        carrier['x-observed'] = 'yes';
        const call: Observed = { info };
        calls.push(call);
        return (outcome, code, status) => {
          if (call.outcome) throw new Error('a call ended twice');
          Object.assign(call, { outcome, code, status });
        };
      },
      retry(source, operation) {
        retries.push(`${source} ${operation}`);
      },
      circuitState() {},
    },
  };
}

describe('upstream plumbing reports every call to its observer', () => {
  let server: Server;
  let base: string;
  const seenHeaders: (string | undefined)[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seenHeaders.push(req.headers['x-observed'] as string | undefined);
      if (req.url?.startsWith('/slow')) return; // never answers
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('HTTP: ok, rejected, timeout and aborted, with the route as operation and the carrier sent', async () => {
    const { observer, calls, retries } = recordingObserver();
    const upstream = createHttpUpstream({ name: 'rest', url: base, timeoutMs: 200, observer });
    const scope = { upstreamCalls: 0, upstreamErrors: [], traceContext: undefined };
    await upstream.getJson('/things?ids=a,b', { route: '/things', scope });
    await expect(upstream.getJson('/missing/1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(upstream.getJson('/slow')).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    const controller = new AbortController();
    const aborted = upstream.getJson('/slow', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    await upstream.close();

    expect(calls.map((call) => [call.info.operation, call.outcome, call.code, call.status])).toEqual([
      ['/things', 'ok', undefined, 200],
      ['/missing/1', 'rejected', 'NOT_FOUND', 404],
      // A GET that timed out is retried twice (resilience.ts): each attempt is a call of its own.
      ['/slow', 'timeout', 'UPSTREAM_TIMEOUT', undefined],
      ['/slow', 'timeout', 'UPSTREAM_TIMEOUT', undefined],
      ['/slow', 'timeout', 'UPSTREAM_TIMEOUT', undefined],
      ['/slow', 'aborted', 'UPSTREAM_UNAVAILABLE', undefined],
    ]);
    expect(retries).toEqual(['rest /slow', 'rest /slow']);
    expect(calls[0]!.info).toMatchObject({ source: 'rest', transport: 'http', method: 'GET', scope });
    expect(seenHeaders).toEqual(['yes', 'yes', 'yes', 'yes', 'yes', 'yes']);
  });

  it('gRPC: the RPC as operation, the service as method, the carrier as metadata, the status code', async () => {
    const sandbox = await startTradingSandbox();
    const { observer, calls, retries } = recordingObserver();
    const upstream = createGrpcUpstream(tradingService, {
      name: 'trading',
      address: sandbox.target,
      observer,
    });
    try {
      await upstream.unary('ListOrders', {
        accountId: 'acc-1',
        status: 'ORDER_STATUS_UNSPECIFIED',
        limit: 5,
      });
      sandbox.control.setFaults({ outage: 'error' });
      await expect(upstream.unary('Ping', {})).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    } finally {
      upstream.close();
      await sandbox.close();
    }
    expect(calls.map((call) => [call.info.method, call.info.operation, call.outcome, call.status])).toEqual([
      ['switchyard.trading.v1.TradingService', 'ListOrders', 'ok', 0],
      // Ping is a read: retried twice, each attempt a call of its own.
      ['switchyard.trading.v1.TradingService', 'Ping', 'error', 14],
      ['switchyard.trading.v1.TradingService', 'Ping', 'error', 14],
      ['switchyard.trading.v1.TradingService', 'Ping', 'error', 14],
    ]);
    expect(retries).toEqual(['trading Ping', 'trading Ping']);
  });
});
