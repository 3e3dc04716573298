/** The signals sandbox: openapi.yaml served from `signalFor`, with fault knobs. */
import {
  badRequest,
  type JsonReply,
  type JsonRoute,
  notFound,
  ok,
  type RouteRequest,
  startJsonSandbox,
} from '../../sandbox-kit/http.js';
import type { RunningSandbox, SandboxOptions } from '../../sandbox-kit/types.js';
import { MAX_BATCH_IDS } from '../types.js';
import { signalFor } from './data.js';

const TOKEN_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

function getSignals({ query }: RouteRequest): JsonReply {
  const ids = query.get('tokenIds');
  const list = ids?.split(',') ?? [];
  if (!ids || list.length > MAX_BATCH_IDS)
    return badRequest(`tokenIds must hold 1..${MAX_BATCH_IDS} token ids`);
  const bad = list.find((id) => !TOKEN_ID.test(id));
  if (bad !== undefined) return badRequest(`malformed token id "${bad.slice(0, 64)}"`);
  return ok({ data: [...new Set(list)].flatMap((id) => signalFor(id) ?? []) });
}

function getSignal({ params }: RouteRequest): JsonReply {
  const id = params.tokenId ?? '';
  if (!TOKEN_ID.test(id)) return badRequest('malformed token id');
  const signal = signalFor(id);
  return signal ? ok(signal) : notFound();
}

/** The routes of openapi.yaml; the route strings are the keys of `stats.byRoute`. */
export const signalsRoutes: readonly JsonRoute[] = [
  { route: 'GET /v1/signals', handle: getSignals },
  { route: 'GET /v1/signals/{tokenId}', handle: getSignal },
  { route: 'GET /healthz', handle: () => ok({ ok: true }) },
];

/** Starts the signals sandbox (127.0.0.1 on a free port unless told otherwise). */
export async function startSignalsSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startJsonSandbox({ ...options, name: 'signals', routes: signalsRoutes });
}
