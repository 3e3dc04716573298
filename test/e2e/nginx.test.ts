/**
 * A real load balancer: Debian's nginx runs deploy/nginx.conf (only its upstream addresses and
 * listen port replaced, test/helpers/nginx.ts) in front of two gateway processes started as
 * deployed (deploy/commands.ts: TRUST_PROXY=1, one Redis, the four sandboxes as processes). Through
 * it: the client's address is the one the gateways count and a spoofed X-Forwarded-For is not; a
 * signed mutation verifies over the authority the client used; subscriptions stream over SSE and
 * WebSocket, unbuffered; a gateway stopped with SIGTERM under load loses no read; a mutation whose
 * gateway dies mid-request is answered 502, never replayed on the other gateway.
 * Without nginx it skips loudly; in CI (CI=true) it fails.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort } from '../../bench/processes.js';
import {
  GATEWAY_REPLICAS,
  gatewayCommand,
  gatewayEnvironment,
  sandboxCommand,
  sandboxProcesses,
} from '../../deploy/commands.js';
import { httpReady, type Launched, launch, REPO_ROOT, readyLine } from '../../deploy/launch.js';
import type { SourceName } from '../../sources/index.js';
import { provisionSigningIdentity, type SigningIdentity } from '../helpers/identity.js';
import { parseExposition, sum } from '../helpers/metrics.js';
import { ADDED, haveNginx, NGINX, NGINX_CONF_PATH, type RunningNginx, startNginx } from '../helpers/nginx.js';
import { useTestRedis } from '../helpers/redis.js';
import { subscribeSse } from '../helpers/subscriptions.js';

if (!haveNginx) {
  const message = `${NGINX} not found: the load-balancer test needs Debian's nginx (apt-get install -y nginx)`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  console.warn(`\n*** SKIPPING the nginx load-balancer test: ${message} ***\n`);
}
const redis = haveNginx ? await useTestRedis() : null;

/** A client address other than nginx's own (127.0.0.1): Linux routes all of 127.0.0.0/8 to loopback. */
const CLIENT_ADDRESS = '127.0.0.2';
const SPOOFED = '203.0.113.9';
/** Draining pause on SIGTERM: small, but the drain path (readiness 503, `Connection: close`) runs. */
const SHUTDOWN_DELAY_MS = 500;

const TOKEN = '{ token(id: "bitcoin") { id symbol price { usd } } }';
const PLACE_ORDER =
  'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status clientOrderId } }';
const ORDERS = 'query Orders { orders(accountId: "acc-1", first: 200) { id clientOrderId } }';
const PRICES = 'subscription Prices($ids: [ID!]!) { priceUpdates(tokenIds: $ids) { tokenId usd updatedAt } }';

interface AccessLine {
  readonly at: number;
  readonly operationType?: string;
  readonly operationName?: string;
  readonly status?: number;
}

interface Gateway {
  readonly name: string;
  readonly port: number;
  readonly origin: string;
  process: Launched;
  /** Access-log lines (`request`) it printed, in order. */
  readonly served: AccessLine[];
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  explain: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${explain()}`);
    await sleep(20);
  }
}

/** `"Query.token";r=599999;t=60` → { name, remaining }. */
function rateLimitState(header: string | string[] | undefined): { name: string; remaining: number } {
  const match = /^"([^"]+)";r=(\d+);/.exec(String(header));
  if (!match) throw new Error(`no RateLimit header in the answer: ${String(header)}`);
  return { name: match[1]!, remaining: Number(match[2]) };
}

describe.skipIf(!haveNginx || !redis)('nginx (deploy/nginx.conf) in front of two gateway processes', () => {
  const sandboxChildren: Launched[] = [];
  const gateways: Gateway[] = [];
  const runId = Date.now().toString(36);
  const adminUrls = {} as Record<SourceName, string>;
  let gatewayEnv: (port: number) => Record<string, string>;
  let identity: SigningIdentity;
  let nginx: RunningNginx;
  let apiKey: string;
  const clientAgent = new Agent({ localAddress: CLIENT_ADDRESS, keepAliveTimeout: 10 });

  const startGateway = (name: string, port: number): Gateway => {
    const launched = launch(name, gatewayCommand('source'), {
      env: gatewayEnv(port),
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    const gateway: Gateway = {
      name,
      port,
      origin: `http://127.0.0.1:${port}`,
      process: launched,
      served: [],
    };
    launched.onStdoutLine((line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as AccessLine & { msg?: string };
      if (entry.msg === 'request') gateway.served.push({ ...entry, at: Date.now() });
    });
    return gateway;
  };

  const admin = async (source: SourceName, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${adminUrls[source]}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    expect(response.ok, `${source} ${path}`).toBe(true);
    return response.json();
  };
  const sandboxStats = async (source: SourceName) =>
    (
      (await admin(source, '/stats')) as {
        stats: { byRoute: Record<string, number>; streams: { open: number } };
      }
    ).stats;

  /** POSTs a signed placeOrder as user-1, signed for `signedUrl`, to `sendTo`. */
  const signedPlaceOrder = (clientOrderId: string, signedUrl: string) => {
    const body = JSON.stringify({
      query: PLACE_ORDER,
      variables: {
        input: {
          accountId: 'acc-1',
          tokenId: 'solana',
          side: 'BUY',
          type: 'LIMIT',
          quantity: '1',
          limitPrice: '100',
          clientOrderId,
        },
      },
    });
    const contentType = 'application/json';
    const headers = {
      accept: 'application/graphql-response+json',
      ...identity.headers('user-1', { method: 'POST', url: signedUrl, body, contentType, signed: true }),
      'content-type': contentType,
    };
    return { body, headers };
  };
  const post = async (url: string, init: { body: string; headers: Record<string, string> }) => {
    const response = await fetch(url, { method: 'POST', ...init, signal: AbortSignal.timeout(15_000) });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) as GraphQLBody };
  };

  const ordersWith = async (origin: string, clientOrderId: string): Promise<number> => {
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...identity.headers('user-1', { method: 'POST', url: '', body: '', contentType: '', signed: false }),
      },
      body: JSON.stringify({ query: ORDERS }),
    });
    const body = (await response.json()) as GraphQLBody;
    expect(body.errors).toBeUndefined();
    const orders = body.data?.orders as { clientOrderId: string }[];
    return orders.filter((order) => order.clientOrderId === clientOrderId).length;
  };

  beforeAll(async () => {
    const sandboxes = await Promise.all(
      sandboxProcesses.map(async (sandbox) => {
        const listen = {
          host: '127.0.0.1',
          port: await freePort(),
          ...(sandbox.adminPort === undefined ? {} : { adminPort: await freePort() }),
        };
        const launched = launch(sandbox.name, sandboxCommand(sandbox, listen, 'source'));
        sandboxChildren.push(launched);
        const ready = await readyLine(launched);
        adminUrls[sandbox.name] = ready.adminUrl!;
        return [sandbox.name, { host: listen.host, port: listen.port }] as const;
      }),
    );
    const wiring = Object.fromEntries(sandboxes) as Record<SourceName, { host: string; port: number }>;
    const secrets = { KEYS_ENCRYPTION_KEYS: `v1:${randomBytes(32).toString('base64')}` };
    const isolation = { REDIS_KEY_PREFIX: `e2e-nginx:${runId}:` };
    gatewayEnv = (port) => ({
      ...gatewayEnvironment({ sandboxes: wiring, redisUrl: redis!.url, host: '127.0.0.1', port, secrets }),
      ...isolation,
      // info: the access log tells which gateway served what.
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      SHUTDOWN_TIMEOUT: '3000',
      SHUTDOWN_DELAY: String(SHUTDOWN_DELAY_MS),
      // The load below is thousands of reads a minute from one client: limits stay out of its way
      // (the per-IP check reads the counter, not a refusal).
      RATE_LIMIT_PLANS: 'free=1000',
    });
    for (let replica = 1; replica <= GATEWAY_REPLICAS; replica++)
      gateways.push(startGateway(`gateway-${replica}`, await freePort()));
    // Generous: in `npm test` other files start processes on the same CPUs at the same time.
    await Promise.all(
      gateways.map((gateway) => httpReady(gateway.process, `${gateway.origin}/readyz`, 90_000)),
    );
    identity = await provisionSigningIdentity({ REDIS_URL: redis!.url, ...secrets, ...isolation }, REPO_ROOT);
    apiKey = identity.headers('user-1', { method: 'GET', url: '', body: '', contentType: '', signed: false })[
      'x-api-key'
    ]!;
    nginx = await startNginx(
      gateways.map((gateway) => gateway.port),
      await freePort(),
    );
  }, 150_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all([...gateways.map((g) => g.process.stop()), ...sandboxChildren.map((c) => c.stop())]);
    await clientAgent.close();
    await redis?.stop();
  });

  it('runs deploy/nginx.conf as written: only the upstream servers and the listen port differ', async () => {
    const original = readFileSync(NGINX_CONF_PATH, 'utf8').split('\n');
    const rendered = nginx.conf.split('\n').filter((line) => !line.endsWith(ADDED));
    expect(rendered).toHaveLength(original.length);
    const changed = original.flatMap((line, i) =>
      line === rendered[i] ? [] : [[line.trim(), rendered[i]!.trim()]],
    );
    const [first, second] = gateways as [Gateway, Gateway];
    expect(changed).toEqual([
      [
        'server gateway-1:4000 max_fails=2 fail_timeout=5s;',
        `server 127.0.0.1:${first.port} max_fails=2 fail_timeout=5s;`,
      ],
      [
        'server gateway-2:4000 max_fails=2 fail_timeout=5s;',
        `server 127.0.0.1:${second.port} max_fails=2 fail_timeout=5s;`,
      ],
      ['listen 8080;', `listen 127.0.0.1:${nginx.port};`],
    ]);
    // Added lines are temp paths only (the rest of what an unprivileged run needs is on the command line).
    const added = nginx.conf.split('\n').filter((line) => line.endsWith(ADDED));
    expect(added.every((line) => /^\s*\w+_temp_path \S+; /.test(line))).toBe(true);
    const health = await fetch(`${nginx.origin}/healthz`);
    expect(health.status).toBe(200);
  });

  it('counts an anonymous client by its own address, and a spoofed X-Forwarded-For changes nothing', async () => {
    /** An anonymous token query; returns the per-IP RateLimit state the gateway answered with. */
    const tokenQuery = async (origin: string, options: { from?: Agent; forwardedFor?: string } = {}) => {
      const response = await request(`${origin}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}),
        },
        body: JSON.stringify({ query: TOKEN }),
        ...(options.from ? { dispatcher: options.from } : {}),
      });
      const body = (await response.body.json()) as GraphQLBody;
      expect(response.statusCode).toBe(200);
      expect(body.data?.token).toMatchObject({ id: 'bitcoin' });
      const state = rateLimitState(response.headers.ratelimit);
      expect(state.name).toBe('Query.token');
      return state.remaining;
    };
    const [first, second] = gateways as [Gateway, Gateway];
    const fresh = 600 * 1000 - 1; // Query.token's @rateLimit × the free plan's multiplier, one spent
    // A budget already spent answers less than `fresh`, by more than one request where the other
    // gateway holds a lease of it (src/stores/rate-limit-leases.ts: what an instance leased counts
    // as spent for the others). A budget nobody spent answers exactly `fresh`.
    // Through nginx from 127.0.0.2 (nginx's own address towards the gateways is 127.0.0.1): the
    // first request of 127.0.0.2's budget, and the spoofed one spends that same budget.
    expect(await tokenQuery(nginx.origin, { from: clientAgent })).toBe(fresh);
    expect(await tokenQuery(nginx.origin, { from: clientAgent, forwardedFor: SPOOFED })).toBeLessThan(fresh);
    // The gateway trusts one hop: requests saying they come from 127.0.0.2 go on with that budget,
    // on either gateway (counters are shared through Redis)…
    expect(await tokenQuery(first.origin, { forwardedFor: CLIENT_ADDRESS })).toBeLessThan(fresh);
    expect(await tokenQuery(second.origin, { forwardedFor: CLIENT_ADDRESS })).toBeLessThan(fresh);
    // …while 203.0.113.9's budget was never spent (the spoofed entry was not taken), nor nginx's own
    // address's (the proxied requests were not counted as the proxy's).
    expect(await tokenQuery(first.origin, { forwardedFor: SPOOFED })).toBe(fresh);
    expect(await tokenQuery(second.origin)).toBe(fresh);
  });

  it('verifies a signed mutation through the proxy over the authority and scheme the client signed', async () => {
    const url = `${nginx.origin}/graphql`;
    const signed = signedPlaceOrder(`nginx-signed-${runId}`, url);
    const accepted = await post(url, signed);
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.json().errors).toBeUndefined();
    expect(accepted.json().data?.placeOrder).toMatchObject({
      status: 'OPEN',
      clientOrderId: `nginx-signed-${runId}`,
    });
    const replayed = await post(url, signed);
    expect(replayed.json().errors?.[0]?.extensions?.code).toBe('REPLAYED_REQUEST');
    // Signed for the gateway's own address but sent through nginx: the authority differs, refused.
    const elsewhere = signedPlaceOrder(`nginx-elsewhere-${runId}`, `${gateways[0]!.origin}/graphql`);
    const refused = await post(url, elsewhere);
    expect(refused.json().errors?.[0]?.extensions?.code).toBe('SIGNATURE_INVALID');
  });

  it('streams a subscription over SSE through nginx, each event as it is emitted', async () => {
    await admin('market', '/faults', { ticksPerSecond: 0 });
    const sub = await subscribeSse(`${nginx.origin}/graphql`, PRICES, { ids: ['bitcoin'] });
    try {
      expect(sub.status).toBe(200);
      expect(sub.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await waitFor(
        'the upstream price stream',
        async () => (await sandboxStats('market')).streams.open >= 1,
      );
      // One small event per tick: each must come through before the next is emitted (a buffering
      // proxy would hold it until its buffer filled or the stream ended).
      for (let tick = 0; tick < 3; tick++) {
        await admin('market', '/streams/tick', {});
        const payload = await sub.next(2000);
        expect(payload?.errors).toBeUndefined();
        expect(payload?.data?.priceUpdates).toMatchObject({ tokenId: 'bitcoin' });
      }
    } finally {
      sub.close();
    }
    await waitFor(
      'the upstream stream to close',
      async () => (await sandboxStats('market')).streams.open === 0,
    );
  });

  it('streams a subscription over GraphQL over WebSocket through nginx, authenticated by connectionParams', async () => {
    const client = createClient({
      url: `${nginx.origin.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { 'x-api-key': apiKey },
      retryAttempts: 0,
      lazy: false,
    });
    const received: Record<string, unknown>[] = [];
    const failures: unknown[] = [];
    const unsubscribe = client.subscribe(
      { query: PRICES, variables: { ids: ['ethereum'] } },
      {
        next: (payload) => {
          if (payload.errors) failures.push(payload.errors);
          if (payload.data) received.push(payload.data.priceUpdates as Record<string, unknown>);
        },
        error: (err) => failures.push(err),
        complete: () => {},
      },
    );
    try {
      await waitFor(
        'the upstream price stream',
        async () => (await sandboxStats('market')).streams.open >= 1,
      );
      for (let tick = 1; tick <= 2; tick++) {
        await admin('market', '/streams/tick', {});
        await waitFor(`WebSocket event ${tick}`, () => received.length >= tick || failures.length > 0, 2000);
      }
      expect(failures).toEqual([]);
      expect(received.map((update) => update.tokenId)).toEqual(['ethereum', 'ethereum']);
    } finally {
      unsubscribe();
      await client.dispose();
      await admin('market', '/faults', { ticksPerSecond: 1 });
    }
  });

  it('loses no read while one gateway is stopped with SIGTERM under load, and that gateway exits cleanly', async () => {
    const [victim, survivor] = gateways as [Gateway, Gateway];
    const url = `${nginx.origin}/graphql?query=${encodeURIComponent(TOKEN)}`;
    const headers = { 'x-api-key': apiKey, 'x-graphql-client': 'e2e-nginx' };
    const failures: string[] = [];
    let reads = 0;
    let running = true;
    const worker = async () => {
      while (running) {
        try {
          const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
          const text = await response.text();
          const body = JSON.parse(text) as GraphQLBody;
          if (
            response.status !== 200 ||
            body.errors ||
            (body.data?.token as { id?: string })?.id !== 'bitcoin'
          )
            failures.push(`${response.status} ${text.slice(0, 200)}`);
        } catch (err) {
          failures.push(String(err));
        }
        reads++;
      }
    };
    const load = Array.from({ length: 16 }, worker);
    const started = Date.now();
    await sleep(1000);
    const stoppedAt = Date.now();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      victim.process.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    victim.process.child.kill('SIGTERM');
    const exit = await Promise.race([
      exited,
      sleep(10_000).then(() => {
        throw new Error(`${victim.name} did not exit within 10 s of SIGTERM:\n${victim.process.output()}`);
      }),
    ]);
    const exitedAt = Date.now();
    await sleep(Math.max(500, 3000 - (Date.now() - started)));
    running = false;
    await Promise.all(load);

    expect(failures.slice(0, 5), `${failures.length} of ${reads} reads failed`).toEqual([]);
    expect(reads).toBeGreaterThan(50);
    expect(exit).toEqual({ code: 0, signal: null });
    // The drain path ran under load: the stopping gateway still answered after SIGTERM (its
    // SHUTDOWN_DELAY), and the other one took everything once it was gone.
    expect(victim.served.filter((line) => line.at > stoppedAt).length).toBeGreaterThan(0);
    expect(survivor.served.filter((line) => line.at > exitedAt).length).toBeGreaterThan(10);
    expect(exitedAt - stoppedAt).toBeGreaterThanOrEqual(SHUTDOWN_DELAY_MS);
  }, 30_000);

  it('answers 502 when the gateway holding a mutation dies, and never replays it on the other gateway', async () => {
    // The stopped gateway comes back on its port; nginx must route to both again (its fail_timeout
    // is 5 s) before the test means anything.
    const restarted = startGateway(gateways[0]!.name, gateways[0]!.port);
    gateways[0] = restarted;
    await httpReady(restarted.process, `${restarted.origin}/readyz`, 60_000);
    // One read at a time: round robin over two servers would send every other request elsewhere.
    await waitFor(
      'nginx to route to the restarted gateway',
      async () => {
        const reply = await fetch(`${nginx.origin}/graphql?query=${encodeURIComponent(TOKEN)}`, {
          headers: { 'x-api-key': apiKey, 'x-graphql-client': 'e2e-nginx' },
        });
        await reply.arrayBuffer();
        return gateways.every((gateway) => gateway.served.length > 0);
      },
      15_000,
      () =>
        `nginx error log:\n${nginx.errorLog().slice(-3000)}\n${restarted.name}:\n${restarted.process.output()}`,
    );

    // The order takes 1.5 s upstream (below the gateway's 2 s upstream timeout): long enough to see
    // which gateway holds it and kill that one mid-request.
    await admin('trading', '/faults', { latencyMs: 1500 });
    try {
      const placedBefore = (await sandboxStats('trading')).byRoute.PlaceOrder ?? 0;
      const clientOrderId = `nginx-once-${runId}`;
      const url = `${nginx.origin}/graphql`;
      const sentAt = Date.now();
      const answer = post(url, signedPlaceOrder(clientOrderId, url));
      await waitFor(
        'the order to reach the trading sandbox',
        async () => ((await sandboxStats('trading')).byRoute.PlaceOrder ?? 0) > placedBefore,
        1000,
      );
      const inFlight = await Promise.all(
        gateways.map(async (gateway) =>
          sum(
            parseExposition(await (await fetch(`${gateway.origin}/metrics`)).text()),
            'switchyard_requests_in_flight',
          ),
        ),
      );
      expect([...inFlight].sort()).toEqual([0, 1]);
      const holder = gateways[inFlight.indexOf(1)]!;
      const other = gateways.find((gateway) => gateway !== holder)!;
      holder.process.child.kill('SIGKILL');

      const reply = await answer;
      expect(reply.status, reply.text).toBe(502);
      // The sandbox's latency has passed: a replay would have reached it by now.
      await sleep(2000);
      expect((await sandboxStats('trading')).byRoute.PlaceOrder).toBe(placedBefore + 1);
      expect(other.served.filter((line) => line.at >= sentAt && line.operationType === 'mutation')).toEqual(
        [],
      );
      await admin('trading', '/faults', { latencyMs: 0 });
      expect(await ordersWith(other.origin, clientOrderId)).toBeLessThanOrEqual(1);
    } finally {
      await admin('trading', '/faults', { latencyMs: 0 });
    }
  }, 100_000);
});
