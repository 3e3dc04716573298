import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ExchangeSandbox, startExchangeSandbox } from '../../sources/exchange/sandbox/server.js';
import { tokens, tokensById } from '../../sources/sandbox-kit/universe.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Credentials {
  apiKey: string;
  apiSecret: string;
}

interface Reply {
  status: number;
  body: unknown;
}

const INVALID_KEY = { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' };
const INVALID_SIGNATURE = { code: -1022, msg: 'Signature for this request is not valid.' };
const OUTSIDE_WINDOW = { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' };

/** Written from the contract, independently of the sandbox: HMAC-SHA256 hex of the query string. */
function signQuery(secret: string, query: string): string {
  return `${query}&signature=${createHmac('sha256', secret).update(query).digest('hex')}`;
}

let sandbox: ExchangeSandbox;

beforeAll(async () => {
  sandbox = await startExchangeSandbox();
});

afterEach(() => {
  sandbox.control.reset();
  sandbox.setClockSkew(0);
});

afterAll(async () => {
  await sandbox?.close();
});

async function call(path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(`${sandbox.target}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function admin(method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${sandbox.adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function createKey(permissions: Record<string, unknown>): Promise<Credentials> {
  const reply = await admin('POST', '/keys', permissions);
  expect(reply.status).toBe(201);
  return reply.body as Credentials;
}

async function serverTime(): Promise<number> {
  const { body } = await call('/api/v1/time');
  return (body as { serverTime: number }).serverTime;
}

/** A signed GET: `query` is what is signed; `timestamp` defaults to the sandbox clock. */
function signed(
  path: string,
  key: Credentials,
  { query, apiKey = key.apiKey }: { query?: string; apiKey?: string } = {},
): Promise<Reply> {
  const payload = query ?? `timestamp=${Date.now()}`;
  return call(`${path}?${signQuery(key.apiSecret, payload)}`, { headers: { 'x-ex-apikey': apiKey } });
}

describe('exchange sandbox: public routes', () => {
  it('answers the server time, health and prices from the universe', async () => {
    const before = Date.now();
    const time = await serverTime();
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
    expect(await call('/healthz')).toEqual({ status: 200, body: { ok: true } });
    expect(await call('/api/v1/ticker/price?assets=bitcoin,nope,ethereum,bitcoin')).toEqual({
      status: 200,
      body: {
        prices: [
          { asset: 'bitcoin', usd: tokensById.get('bitcoin')?.priceUsd },
          { asset: 'ethereum', usd: tokensById.get('ethereum')?.priceUsd },
        ],
      },
    });
  });

  it('refuses missing, malformed and more than 100 assets with 400 -1102', async () => {
    const hundredOne = tokens
      .slice(0, 101)
      .map((token) => token.id)
      .join(',');
    expect(hundredOne.split(',')).toHaveLength(101);
    for (const query of [
      '',
      '?assets=',
      '?assets=BTC',
      '?assets=bitcoin,,ethereum',
      `?assets=${hundredOne}`,
    ]) {
      const reply = await call(`/api/v1/ticker/price${query}`);
      expect(reply.status, query).toBe(400);
      expect((reply.body as { code: number }).code, query).toBe(-1102);
    }
    const hundred = hundredOne.split(',').slice(0, 100).join(',');
    const reply = await call(`/api/v1/ticker/price?assets=${hundred}`);
    expect((reply.body as { prices: unknown[] }).prices).toHaveLength(100);
  });
});

describe('exchange sandbox: signed routes', () => {
  it('answers a signed request with the key permissions and deterministic balances', async () => {
    const key = await createKey({ read: true, trade: true });
    expect(key.apiKey).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(key.apiSecret).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(key.apiSecret).not.toBe(key.apiKey);

    expect(await signed('/api/v1/key-permissions', key)).toEqual({
      status: 200,
      body: { read: true, trade: true, withdraw: false, ipRestricted: false },
    });

    const first = await signed('/api/v1/account', key, { query: `timestamp=${Date.now()}&recvWindow=10000` });
    expect(first.status).toBe(200);
    const { balances } = first.body as { balances: { asset: string; free: string; locked: string }[] };
    expect(balances.length).toBeGreaterThanOrEqual(3);
    expect(balances.length).toBeLessThanOrEqual(8);
    expect(new Set(balances.map((b) => b.asset)).size).toBe(balances.length);
    for (const balance of balances) {
      expect(tokensById.has(balance.asset)).toBe(true);
      expect(balance.free).toMatch(/^\d+\.\d{8}$/);
      expect(balance.locked).toMatch(/^\d+\.\d{8}$/);
      expect(Number(balance.free) + Number(balance.locked)).toBeGreaterThan(0);
    }
    // Same key, same balances; another key, other balances.
    expect((await signed('/api/v1/account', key)).body).toEqual(first.body);
    const other = await createKey({ read: true });
    expect((await signed('/api/v1/account', other)).body).not.toEqual(first.body);
  });

  it('counts every route in stats.byRoute, and applies the fault knobs to them', async () => {
    const key = await createKey({ read: true });
    await signed('/api/v1/account', key);
    await signed('/api/v1/account', key, { apiKey: 'unknown' });
    await signed('/api/v1/key-permissions', key);
    await call('/api/v1/time');
    await admin('POST', '/keys', {});
    expect(sandbox.control.stats.byRoute).toEqual({
      'GET /api/v1/account': 2,
      'GET /api/v1/key-permissions': 1,
      'GET /api/v1/time': 1,
    });
    const stats = (await admin('GET', '/stats')).body as { stats: { total: number } };
    expect(stats.stats.total).toBe(4);

    sandbox.control.setFaults({ outage: 'error' });
    const down = await signed('/api/v1/account', key);
    expect(down).toEqual({ status: 503, body: { error: 'unavailable' } });
    sandbox.control.setFaults({ outage: 'off', latencyMs: 150 });
    const started = Date.now();
    expect((await signed('/api/v1/account', key)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sandbox.control.stats.byRoute['GET /api/v1/account']).toBe(4);
  });

  it('refuses a missing, unknown or deleted key with 401 -2015', async () => {
    const key = await createKey({ read: true });
    const query = `timestamp=${Date.now()}`;
    expect(await call(`/api/v1/account?${signQuery(key.apiSecret, query)}`)).toEqual({
      status: 401,
      body: INVALID_KEY,
    });
    expect(await signed('/api/v1/account', key, { apiKey: 'A'.repeat(64) })).toEqual({
      status: 401,
      body: INVALID_KEY,
    });
    // The key check comes first: an unknown key with a bad timestamp is still -2015.
    expect(await signed('/api/v1/account', key, { apiKey: 'x', query: 'timestamp=1' })).toEqual({
      status: 401,
      body: INVALID_KEY,
    });

    expect((await signed('/api/v1/account', key)).status).toBe(200);
    expect(await admin('DELETE', `/keys/${key.apiKey}`)).toEqual({ status: 204, body: undefined });
    expect(await signed('/api/v1/account', key)).toEqual({ status: 401, body: INVALID_KEY });
    expect(await signed('/api/v1/key-permissions', key)).toEqual({ status: 401, body: INVALID_KEY });
    expect(await admin('DELETE', `/keys/${key.apiKey}`)).toEqual({
      status: 404,
      body: { error: 'not_found' },
    });
  });

  it('refuses a missing, malformed or wrong signature with 401 -1022', async () => {
    const key = await createKey({ read: true });
    const other = await createKey({ read: true });
    const headers = { 'x-ex-apikey': key.apiKey };
    const query = `timestamp=${Date.now()}`;
    const good = signQuery(key.apiSecret, query);
    const hex = good.slice(good.indexOf('&signature=') + 11);
    const cases = [
      query, // missing
      `${query}&signature=`,
      `${query}&signature=${hex.toUpperCase()}`,
      `${query}&signature=${hex.slice(1)}`,
      `${good}&extra=1`, // the signature must come last
      `${query}&recvWindow=6000&signature=${hex}`, // signs another query string
      signQuery(other.apiSecret, query), // another key's secret
    ];
    for (const raw of cases) {
      expect(await call(`/api/v1/account?${raw}`, { headers }), raw).toEqual({
        status: 401,
        body: INVALID_SIGNATURE,
      });
    }
    expect((await call(`/api/v1/account?${good}`, { headers })).status).toBe(200);
  });

  it('signs the raw query string as sent, percent-encoding included', async () => {
    const key = await createKey({ read: true });
    const headers = { 'x-ex-apikey': key.apiKey };
    const query = `timestamp=${Date.now()}&note=a%20b`;
    expect((await call(`/api/v1/account?${signQuery(key.apiSecret, query)}`, { headers })).status).toBe(200);
    // The same parameters spelled otherwise are another string: the signature no longer matches.
    const hex = signQuery(key.apiSecret, query).split('&signature=')[1];
    const respelled = `${query.replace('%20', '+')}&signature=${hex}`;
    expect((await call(`/api/v1/account?${respelled}`, { headers })).body).toEqual(INVALID_SIGNATURE);
  });

  it('refuses stale, future, missing and malformed timestamps with 400 -1021', async () => {
    const key = await createKey({ read: true });
    const now = Date.now();
    for (const query of [
      `timestamp=${now - 6000}`, // older than the default window of 5000 ms
      `timestamp=${now + 3000}`, // more than 1000 ms ahead
      'recvWindow=5000',
      'timestamp=soon',
      `timestamp=${now}&timestamp=${now}`,
    ]) {
      expect(await signed('/api/v1/account', key, { query }), query).toEqual({
        status: 400,
        body: OUTSIDE_WINDOW,
      });
    }
    // The window check comes before the signature check.
    const stale = `timestamp=${now - 6000}&signature=${'0'.repeat(64)}`;
    expect(await call(`/api/v1/account?${stale}`, { headers: { 'x-ex-apikey': key.apiKey } })).toEqual({
      status: 400,
      body: OUTSIDE_WINDOW,
    });
  });

  it('honours recvWindow and refuses one outside 1..60000 with 400 -1102', async () => {
    const key = await createKey({ read: true });
    const now = Date.now();
    expect(
      (await signed('/api/v1/account', key, { query: `timestamp=${now - 6000}&recvWindow=10000` })).status,
    ).toBe(200);
    expect(
      (await signed('/api/v1/account', key, { query: `timestamp=${now - 20_000}&recvWindow=60000` })).status,
    ).toBe(200);
    expect(
      await signed('/api/v1/account', key, { query: `timestamp=${now - 2000}&recvWindow=1000` }),
    ).toEqual({
      status: 400,
      body: OUTSIDE_WINDOW,
    });
    for (const recvWindow of ['0', '60001', '1.5', 'abc', '']) {
      const reply = await signed('/api/v1/account', key, {
        query: `timestamp=${now}&recvWindow=${recvWindow}`,
      });
      expect(reply.status, recvWindow).toBe(400);
      expect((reply.body as { code: number }).code, recvWindow).toBe(-1102);
    }
  });

  it('refuses a request from an address outside the key allowlist with 401 -2015', async () => {
    const elsewhere = await createKey({ read: true, ipRestricted: true, ips: ['10.9.9.9'] });
    expect(await signed('/api/v1/account', elsewhere)).toEqual({ status: 401, body: INVALID_KEY });
    expect(await signed('/api/v1/key-permissions', elsewhere)).toEqual({ status: 401, body: INVALID_KEY });
    // The signature is checked before the address: a bad signature from outside is -1022.
    const headers = { 'x-ex-apikey': elsewhere.apiKey };
    expect(
      (await call(`/api/v1/account?timestamp=${Date.now()}&signature=${'0'.repeat(64)}`, { headers })).body,
    ).toEqual(INVALID_SIGNATURE);

    const loopback = await createKey({ read: true, ipRestricted: true });
    expect((await signed('/api/v1/account', loopback)).status).toBe(200);
    expect((await signed('/api/v1/key-permissions', loopback)).body).toEqual({
      read: true,
      trade: false,
      withdraw: false,
      ipRestricted: true,
    });
    // ips are ignored when the key is not restricted.
    const unrestricted = await createKey({ read: true, ips: ['10.9.9.9'] });
    expect((await signed('/api/v1/account', unrestricted)).status).toBe(200);
    expect((await admin('POST', '/keys', { ipRestricted: false, ips: [] })).status).toBe(201);
  });

  it('refuses the account to a key without read, yet lets it read its permissions', async () => {
    const key = await createKey({ trade: true, withdraw: true });
    expect(await signed('/api/v1/account', key)).toEqual({ status: 401, body: INVALID_KEY });
    expect(await signed('/api/v1/key-permissions', key)).toEqual({
      status: 200,
      body: { read: false, trade: true, withdraw: true, ipRestricted: false },
    });
  });

  it('shifts serverTime and the window check by the skew set through the admin route', async () => {
    const key = await createKey({ read: true });
    expect(await admin('POST', '/clock', { skewMs: 60_000 })).toEqual({ status: 204, body: undefined });
    const skewed = await serverTime();
    expect(skewed - Date.now()).toBeGreaterThan(59_000);
    expect(skewed - Date.now()).toBeLessThanOrEqual(60_000);
    // A client on real time is now a minute behind: stale; one on server time is fine.
    expect(await signed('/api/v1/account', key)).toEqual({ status: 400, body: OUTSIDE_WINDOW });
    expect((await signed('/api/v1/account', key, { query: `timestamp=${skewed}` })).status).toBe(200);

    expect(await admin('POST', '/clock', { skewMs: -60_000 })).toEqual({ status: 204, body: undefined });
    // Now the client on real time is a minute ahead of the server.
    expect(await signed('/api/v1/account', key)).toEqual({ status: 400, body: OUTSIDE_WINDOW });
    expect(await admin('POST', '/clock', { skewMs: 0 })).toEqual({ status: 204, body: undefined });
    expect((await signed('/api/v1/account', key)).status).toBe(200);

    for (const body of [{}, { skewMs: 1.5 }, { skewMs: '1000' }, { skewMs: 1, more: 2 }, '[1', undefined]) {
      expect((await admin('POST', '/clock', body)).status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('exchange sandbox: admin and in-process API', () => {
  it('creates keys with boolean permissions and refuses bad bodies with 400', async () => {
    const plain = await createKey({});
    expect(await signed('/api/v1/key-permissions', plain)).toEqual({
      status: 200,
      body: { read: false, trade: false, withdraw: false, ipRestricted: false },
    });
    for (const body of [
      '{not json',
      '[]',
      '"read"',
      { read: 'yes' },
      { withdraw: 1 },
      { reed: true },
      { ipRestricted: true, ips: [] },
      { ipRestricted: true, ips: ['localhost'] },
      { ipRestricted: true, ips: '127.0.0.1' },
    ]) {
      const reply = await admin('POST', '/keys', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect((reply.body as { error: string }).error).toBe('bad_request');
    }
    expect((await admin('GET', '/stats')).status).toBe(200);
    expect((await admin('GET', '/keys')).status).toBe(404);
  });

  it('offers createKey, deleteKey and setClockSkew in-process', async () => {
    const key = sandbox.createKey({ read: true, ipRestricted: true, ips: ['127.0.0.1'] });
    expect((await signed('/api/v1/account', key)).status).toBe(200);
    expect(() => sandbox.createKey({ ips: ['not-an-ip'], ipRestricted: true })).toThrow(TypeError);

    sandbox.setClockSkew(-30_000);
    expect(Date.now() - (await serverTime())).toBeGreaterThanOrEqual(29_000);
    expect(() => sandbox.setClockSkew(0.5)).toThrow(RangeError);
    sandbox.setClockSkew(0);

    expect(sandbox.deleteKey(key.apiKey)).toBe(true);
    expect(sandbox.deleteKey(key.apiKey)).toBe(false);
    expect(await signed('/api/v1/account', key)).toEqual({ status: 401, body: INVALID_KEY });
  });

  it('prints its ready line from main.ts and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'sources/exchange/sandbox/main.ts', '--port', '0'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const ready = JSON.parse(line) as { sandbox: string; target: string; adminUrl: string };
      expect(ready.sandbox).toBe('exchange');
      expect(ready.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.adminUrl).toBe(`${ready.target}/__sandbox`);
      const created = await fetch(`${ready.adminUrl}/keys`, { method: 'POST', body: '{"read":true}' });
      expect(created.status).toBe(201);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
