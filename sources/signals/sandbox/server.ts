/** The signals sandbox: openapi.yaml served from `signalFor`, with fault knobs, and signal changes over SSE. */

import { createTickFeed, streamIds } from '../../sandbox-kit/feed.js';
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
import { tokensById } from '../../sandbox-kit/universe.js';
import { MAX_BATCH_IDS, MAX_STREAM_IDS } from '../types.js';
import { createSignalChanges } from './changes.js';
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

/** Route of the signal stream, the key of `stats.byRoute` and `stats.streams.byRoute`. */
export const SIGNAL_STREAM_ROUTE = 'GET /v1/stream/signals';

export interface SignalsSandboxOptions extends SandboxOptions {
  /** Clock of the ticks' `updatedAt`. @default () => new Date() */
  now?: () => Date;
}

/** Starts the signals sandbox (127.0.0.1 on a free port unless told otherwise). */
export async function startSignalsSandbox({
  now = () => new Date(),
  ...options
}: SignalsSandboxOptions = {}): Promise<RunningSandbox> {
  const feed = createTickFeed('signal', createSignalChanges(now));
  const sandbox = await startJsonSandbox({
    ...options,
    name: 'signals',
    routes: signalsRoutes,
    streams: [
      {
        route: SIGNAL_STREAM_ROUTE,
        accept({ query }) {
          const ids = streamIds(query, MAX_STREAM_IDS, TOKEN_ID, (id) => tokensById.has(id));
          return 'status' in ids ? ids : feed.attach(ids);
        },
      },
    ],
  });
  sandbox.control.streams.onTick(() => feed.tick());
  return sandbox;
}
