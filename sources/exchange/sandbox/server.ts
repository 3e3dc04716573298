/**
 * The exchange sandbox: openapi.yaml (a centralised exchange's private REST API) served from the
 * deterministic universe, with HMAC-signed requests checked against keys made through the admin
 * routes, a skewable clock, and the shared fault knobs and counters.
 */
import {
  type AdminRoute,
  badRequest,
  type JsonReply,
  type JsonRoute,
  noContent,
  notFound,
  ok,
  type RouteRequest,
  startJsonSandbox,
} from '../../sandbox-kit/http.js';
import type { RunningSandbox, SandboxOptions } from '../../sandbox-kit/types.js';
import { balancesFor, pricesFor } from './data.js';
import { badParameter } from './errors.js';
import {
  createKeyRegistry,
  type ExchangeCredentials,
  type KeyPermissionsInput,
  keyInputProblem,
} from './keys.js';
import { isReply, verifySignedRequest } from './signed.js';

const TOKEN_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/** Most assets one `GET /api/v1/ticker/price` may ask for. */
export const MAX_PRICE_ASSETS = 100;

export interface ExchangeSandboxOptions extends SandboxOptions {
  /** The real clock, in epoch ms, before the skew. @default Date.now */
  now?: () => number;
}

export interface ExchangeSandbox extends RunningSandbox {
  /** Creates an API key (what `POST /__sandbox/keys` does); throws a TypeError on bad permissions. */
  createKey(permissions: KeyPermissionsInput): ExchangeCredentials;
  /** Deletes an API key at once (`DELETE /__sandbox/keys/{apiKey}`); false when it is unknown. */
  deleteKey(apiKey: string): boolean;
  /** Shifts the server clock by `ms` from the real clock (`POST /__sandbox/clock`); 0 undoes it. */
  setClockSkew(ms: number): void;
}

function getPrices({ query }: RouteRequest): JsonReply {
  const assets = query.get('assets');
  const ids = assets?.split(',') ?? [];
  if (!assets || ids.length > MAX_PRICE_ASSETS)
    return badParameter(`assets must hold 1..${MAX_PRICE_ASSETS} comma-separated asset ids`);
  const bad = ids.find((id) => !TOKEN_ID.test(id));
  if (bad !== undefined) return badParameter(`malformed asset id "${bad.slice(0, 64)}"`);
  return ok({ prices: pricesFor(ids) });
}

/** Starts the exchange sandbox (127.0.0.1 on a free port unless told otherwise). */
export async function startExchangeSandbox({
  now = Date.now,
  ...options
}: ExchangeSandboxOptions = {}): Promise<ExchangeSandbox> {
  const keys = createKeyRegistry();
  let skewMs = 0;
  const serverTime = () => now() + skewMs;
  const setClockSkew = (ms: number) => {
    if (!Number.isSafeInteger(ms)) throw new RangeError(`clock skew must be an integer of ms, got ${ms}`);
    skewMs = ms;
  };

  const routes: readonly JsonRoute[] = [
    { route: 'GET /api/v1/time', handle: () => ok({ serverTime: serverTime() }) },
    { route: 'GET /api/v1/ticker/price', handle: getPrices },
    {
      route: 'GET /api/v1/account',
      handle(request) {
        const key = verifySignedRequest(request, keys, serverTime(), 'read');
        return isReply(key) ? key : ok({ balances: balancesFor(key.apiKey) });
      },
    },
    {
      route: 'GET /api/v1/key-permissions',
      handle(request) {
        const key = verifySignedRequest(request, keys, serverTime());
        return isReply(key) ? key : ok({ ...key.permissions });
      },
    },
    { route: 'GET /healthz', handle: () => ok({ ok: true }) },
  ];

  const admin: readonly AdminRoute[] = [
    {
      route: 'POST /keys',
      handle({ body }) {
        const problem = keyInputProblem(body);
        return problem
          ? badRequest(problem)
          : { status: 201, body: keys.create(body as KeyPermissionsInput) };
      },
    },
    {
      route: 'DELETE /keys/{apiKey}',
      handle: ({ params }) => (keys.delete(params.apiKey ?? '') ? noContent() : notFound()),
    },
    {
      route: 'POST /clock',
      handle({ body }) {
        const skew = (body as { skewMs?: unknown } | undefined)?.skewMs;
        if (
          typeof body !== 'object' ||
          body === null ||
          Object.keys(body).length !== 1 ||
          !Number.isSafeInteger(skew)
        )
          return badRequest('body must be { "skewMs": <integer> }');
        setClockSkew(skew as number);
        return noContent();
      },
    },
  ];

  const sandbox = await startJsonSandbox({ ...options, name: 'exchange', routes, admin });
  return {
    ...sandbox,
    createKey: (permissions) => keys.create(permissions),
    deleteKey: (apiKey) => keys.delete(apiKey),
    setClockSkew,
  };
}
