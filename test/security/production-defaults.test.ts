/**
 * Production is explicit (issue 10, findings 8, 10, 11, 13, 14): no demo upstreams, no public
 * /metrics, no CORS unless CORS_ORIGINS names origins, and never with credentials; deep variables
 * are a 400, not a 500; a JWT that is not an access token is refused. All over real HTTP.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startSwitchyard } from '../../src/main.js';
import { startTestGateway, TEST_ENCRYPTION_KEY, type TestGateway } from '../helpers/gateway.js';
import { startTestIdp, type TestIdp } from '../helpers/idp.js';

const PRODUCTION = { NODE_ENV: 'production' };
const TOKEN_QUERY = '{ token(id: "bitcoin") { symbol } }';
const PORTFOLIO = '{ portfolio(accountId: "acc-1") { accountId } }';

/** A request from a browser page on `origin` (anonymous: CORS headers do not depend on identity). */
function fromPage(gateway: TestGateway, origin: string, init: RequestInit = {}): Promise<Response> {
  return fetch(gateway.url, {
    method: 'POST',
    body: JSON.stringify({ query: TOKEN_QUERY }),
    ...init,
    headers: { 'content-type': 'application/json', origin, ...init.headers },
  });
}

/** A browser's preflight for a signed JSON POST with an API key. */
function preflight(gateway: TestGateway, origin: string): Promise<Response> {
  return fetch(gateway.url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-api-key,signature,signature-input,content-digest',
    },
  });
}

function expectNoCors(response: Response): void {
  expect(response.headers.get('access-control-allow-origin')).toBeNull();
  expect(response.headers.get('access-control-allow-credentials')).toBeNull();
}

function expectAllowed(response: Response, origin: string): void {
  expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  // Switchyard authenticates with headers, never cookies: no origin is given credentials.
  expect(response.headers.get('access-control-allow-credentials')).toBeNull();
}

describe('CORS in production (finding 14)', () => {
  let closed: TestGateway;
  let listed: TestGateway;
  beforeAll(async () => {
    [closed, listed] = await Promise.all([
      startTestGateway({ env: PRODUCTION }),
      startTestGateway({
        env: { ...PRODUCTION, CORS_ORIGINS: 'https://app.example.com,https://admin.example.com' },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([closed?.close(), listed?.close()]);
  });

  it('sends no CORS header to any origin by default, on answers and preflights', async () => {
    for (const origin of [
      'https://evil.example',
      'https://app.example.com',
      'http://localhost:3000',
      'null',
    ]) {
      const answer = await fromPage(closed, origin);
      expect(answer.status).toBe(200);
      expectNoCors(answer);
      expectNoCors(await preflight(closed, origin));
    }
  });

  it('allows exactly the CORS_ORIGINS, without credentials, with the headers a client needs', async () => {
    for (const origin of ['https://app.example.com', 'https://admin.example.com']) {
      const answer = await fromPage(listed, origin);
      expectAllowed(answer, origin);
      const exposed = answer.headers.get('access-control-expose-headers')?.split(/,\s*/) ?? [];
      expect(exposed).toEqual(
        expect.arrayContaining([
          'RateLimit',
          'RateLimit-Policy',
          'Retry-After',
          'X-Request-Id',
          'Deprecation',
          'Sunset',
        ]),
      );
      const pre = await preflight(listed, origin);
      expect(pre.status).toBe(204);
      expectAllowed(pre, origin);
      const allowed = pre.headers.get('access-control-allow-headers')?.split(/,\s*/) ?? [];
      expect(allowed).toEqual(
        expect.arrayContaining([
          'content-type',
          'authorization',
          'x-api-key',
          'signature',
          'signature-input',
          'content-digest',
          'x-request-id',
        ]),
      );
      expect(pre.headers.get('access-control-allow-methods')).toBe('GET, POST');
    }
  });

  it('refuses every other origin, lookalikes and the null origin included', async () => {
    for (const origin of [
      'https://evil.example',
      'https://app.example.com.evil.example',
      'http://app.example.com',
      'https://app.example.com:8443',
      'null',
    ]) {
      expectNoCors(await fromPage(listed, origin));
      expectNoCors(await preflight(listed, origin));
    }
  });
});

describe('CORS outside production and with *', () => {
  let development: TestGateway;
  let any: TestGateway;
  beforeAll(async () => {
    [development, any] = await Promise.all([
      startTestGateway(),
      startTestGateway({ env: { ...PRODUCTION, CORS_ORIGINS: '*' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([development?.close(), any?.close()]);
  });

  it('allows only pages served from this machine by default', async () => {
    for (const origin of [
      'http://localhost:5173',
      'http://127.0.0.1:8080',
      'http://[::1]:3000',
      'http://localhost',
    ]) {
      expectAllowed(await fromPage(development, origin), origin);
    }
    for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'null']) {
      expectNoCors(await fromPage(development, origin));
    }
  });

  it('allows any origin with CORS_ORIGINS=*, never with credentials', async () => {
    for (const origin of ['https://anything.example', 'http://localhost:1234']) {
      const answer = await fromPage(any, origin);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });
});

describe('GET /metrics in production (finding 8)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: PRODUCTION });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('is refused with 403 without METRICS_TOKEN, saying how to serve it', async () => {
    await gateway.graphql(TOKEN_QUERY, undefined, {});
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(`${gateway.origin}/metrics`, { method });
      expect(response.status).toBe(403);
      const body = await response.text();
      expect(body).not.toContain('switchyard_');
      if (method === 'GET') expect(body).toMatch(/set METRICS_TOKEN .* or METRICS_PORT/);
    }
    expect(gateway.running.metricsUrl).toBeUndefined();
  });
});

describe('deeply nested variables (finding 10)', () => {
  let gateway: TestGateway;
  const errorLines: string[] = [];
  const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        errorLines.push(String(chunk));
        done();
      },
    });
    // The response cache on: its key is a JSON.stringify of the variables, recursive.
    gateway = await startTestGateway({
      env: { RESPONSE_CACHE: 'true' },
      logger: pino({ level: 'error' }, sink),
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const post = (body: string) =>
    fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gateway.as('user-1') },
      body,
    });

  it('answers 400 BAD_USER_INPUT to variables nested 5 000 and 100 000 deep, and logs no error', async () => {
    for (const depth of [100_000, 5000, 40]) {
      const response = await post(
        `{"query":"query T($ids: [ID!]!) { tokens(ids: $ids) { id } }","variables":{"ids":["bitcoin"],"x":${nested(depth)}}}`,
      );
      expect(response.status, `depth ${depth}`).toBe(400);
      expect(await response.json()).toEqual({
        errors: [
          {
            message: 'variables are nested more than 32 levels deep.',
            extensions: { code: 'BAD_USER_INPUT', argument: 'variables' },
          },
        ],
      });
    }
    expect(errorLines).toEqual([]);
  });

  it('answers a body of 100 000 nested lists with 400, not 500', async () => {
    const response = await post(nested(100_000));
    expect(response.status).toBe(400);
    expect(errorLines).toEqual([]);
  });

  it('checks GET variables from the query string the same way', async () => {
    const query = encodeURIComponent('query T($ids: [ID!]!) { tokens(ids: $ids) { id } }');
    const variables = `{"ids":["bitcoin"],"x":${nested(5000)}}`;
    const response = await fetch(`${gateway.url}?query=${query}&variables=${variables}`, {
      headers: { accept: 'application/json', 'x-graphql-client': 'test/1.0', ...gateway.as('user-1') },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { extensions: unknown }[] }).errors[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      argument: 'variables',
    });
    expect(errorLines).toEqual([]);
  });

  it('answers GET variables that are not JSON with 400 BAD_REQUEST, and logs no error', async () => {
    const query = encodeURIComponent('query T($ids: [ID!]!) { tokens(ids: $ids) { id } }');
    const response = await fetch(`${gateway.url}?query=${query}&variables=%7Bbad`, {
      headers: { accept: 'application/json', 'x-graphql-client': 'test/1.0', ...gateway.as('user-1') },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { extensions: unknown }[] }).errors[0]?.extensions).toEqual({
      code: 'BAD_REQUEST',
    });
    expect(errorLines).toEqual([]);
  });

  it('still answers variables of a sane depth', async () => {
    const response = await post(
      JSON.stringify({
        query: 'query T($ids: [ID!]!) { tokens(ids: $ids) { id } }',
        variables: { ids: ['bitcoin'] },
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { tokens: [{ id: 'bitcoin' }] } });
  });
});

describe('JWT typ (finding 11)', () => {
  let idp: TestIdp;
  let gateway: TestGateway;
  beforeAll(async () => {
    idp = await startTestIdp();
    gateway = await startTestGateway({
      env: { JWT_JWKS_URL: idp.jwksUrl, JWT_ISSUER: idp.issuer, JWT_AUDIENCE: idp.audience },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await idp?.close();
  });

  const asBearer = async (typ: string | undefined) => {
    const token = await idp.token({}, { header: typ === undefined ? {} : { typ } });
    return gateway.graphql(PORTFOLIO, undefined, { authorization: `Bearer ${token}` });
  };

  it('refuses a logout token, signed by the IdP for this API, with 401', async () => {
    const reply = await asBearer('logout+jwt');
    expect(reply.status).toBe(401);
    expect(reply.body.data ?? null).toBeNull();
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(reply.body.errors?.[0]?.message).toBe(
      'The bearer token is not an access token (typ "logout+jwt").',
    );
  });

  it('serves access tokens typed at+jwt or JWT, or untyped', async () => {
    for (const typ of ['at+jwt', 'JWT', undefined]) {
      const reply = await asBearer(typ);
      expect(reply.status, String(typ)).toBe(200);
      expect(reply.body.data).toEqual({ portfolio: { accountId: 'acc-1' } });
    }
  });
});

describe('production without upstreams (finding 13)', () => {
  it('does not start: the process exits 1 naming every missing upstream variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    expect(code, output).toBe(1);
    expect(output).toContain(
      'MARKET_URL, SIGNALS_URL, PORTFOLIO_ADDR, TRADING_ADDR, EXCHANGE_URL: required in production',
    );
    expect(output).not.toContain('Switchyard (demo upstreams in-process) at');
  }, 45_000);

  it('is refused by startSwitchyard even from a config built for a tool', async () => {
    const config = loadConfig({ NODE_ENV: 'production', KEYS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY }, false, {
      needsUpstreams: false,
    });
    await expect(startSwitchyard(config, pino({ level: 'silent' }))).rejects.toThrow(ConfigError);
  });
});
