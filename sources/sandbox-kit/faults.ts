/**
 * Fault knobs and request counters shared by every sandbox. Tests in-process call the object;
 * tests and the benchmark against separate processes use the HTTP admin routes (see `handleAdmin`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSandboxStreams, type SandboxStreams, type StreamStats } from './streams.js';

/** How a sandbox misbehaves, and how fast it streams. Every fault knob is off by default. */
export interface FaultSettings {
  /** Added latency per request, in milliseconds. @default 0 */
  latencyMs: number;
  /** Fraction of requests (0..1) that fail with a server error. @default 0 */
  errorRate: number;
  /**
   * A whole-service outage: `error` answers every request with an unavailable status,
   * `reset` destroys the connection (REST) or answers UNAVAILABLE (gRPC), `hang` never answers,
   * `garbage` answers 200 with a body that is not the contract. It refuses new streams alike, and
   * setting it drops the open ones. @default 'off'
   */
  outage: 'off' | 'error' | 'reset' | 'hang' | 'garbage';
  /** Ticks per second of the streams (price, signal), 0..1000; 0 pauses them. @default 1 */
  ticksPerSecond: number;
  /** Interval of stream heartbeats (SSE `: ping` comments, gRPC markers), in ms. @default 5000 */
  heartbeatMs: number;
}

export const defaultFaultSettings: Readonly<FaultSettings> = {
  latencyMs: 0,
  errorRate: 0,
  outage: 'off',
  ticksPerSecond: 1,
  heartbeatMs: 5000,
};

/** What a sandbox has received since start (or since the last reset). */
export interface SandboxStats {
  total: number;
  /** Requests per route or RPC method name. */
  byRoute: Record<string, number>;
  /** The last `traceparent` header or metadata received, for trace-propagation tests. */
  lastTraceparent: string | null;
  /**
   * The most recent requests (up to `MAX_ARRIVALS`), oldest first, with their arrival time in epoch
   * ms: for tests of the spacing of retries (backoff, Retry-After).
   */
  arrivals: { route: string; at: number }[];
  /** Streams (SSE, server-streaming RPCs); stream requests also count in `total` and `byRoute`. */
  streams: StreamStats;
}

/** Arrivals kept in `SandboxStats.arrivals`. */
export const MAX_ARRIVALS = 100;

/** The fault and counter state of one sandbox instance. */
export interface SandboxControl {
  readonly faults: FaultSettings;
  readonly stats: SandboxStats;
  setFaults(update: Partial<FaultSettings>): void;
  /**
   * Clears counters and faults. Open streams stay open: `streams.open` and `streams.byRoute` keep
   * describing them, `streams.opened` restarts at 0.
   */
  reset(): void;
  /** Counts one request and returns what to do with it. */
  admit(route: string, traceparent?: string | null): Promise<FaultDecision>;
  /** Open streams and the shared tick and heartbeat timers. */
  readonly streams: SandboxStreams;
  /** Drops every open stream now (a blip); new streams are accepted at once. */
  dropStreams(): void;
  /** Emits one tick to every stream now, whatever `ticksPerSecond` says. */
  tick(): void;
}

export type FaultDecision = 'serve' | 'error' | 'reset' | 'hang' | 'garbage';

/** Creates the fault/counter state; `random` is injectable so error rates are reproducible. */
export function createSandboxControl(random: () => number = Math.random): SandboxControl {
  const faults: FaultSettings = { ...defaultFaultSettings };
  const stats: SandboxStats = {
    total: 0,
    byRoute: {},
    lastTraceparent: null,
    arrivals: [],
    streams: { open: 0, opened: 0, byRoute: {} },
  };
  const streams = createSandboxStreams(stats.streams, faults);
  return {
    faults,
    stats,
    streams,
    setFaults(update) {
      const next = { ...faults, ...update };
      if (!(next.latencyMs >= 0) || !(next.errorRate >= 0 && next.errorRate <= 1)) {
        throw new RangeError('latencyMs must be >= 0 and errorRate within 0..1');
      }
      if (!['off', 'error', 'reset', 'hang', 'garbage'].includes(next.outage)) {
        throw new RangeError(`unknown outage mode ${String(next.outage)}`);
      }
      if (!(next.ticksPerSecond >= 0 && next.ticksPerSecond <= 1000)) {
        throw new RangeError('ticksPerSecond must be within 0..1000');
      }
      if (!(Number.isInteger(next.heartbeatMs) && next.heartbeatMs >= 1)) {
        throw new RangeError('heartbeatMs must be an integer >= 1');
      }
      const outageStarts = faults.outage === 'off' && next.outage !== 'off';
      Object.assign(faults, next);
      streams.configure(faults);
      // An outage is the whole service going away: the streams it served go with it.
      if (outageStarts) streams.dropAll();
    },
    reset() {
      Object.assign(faults, defaultFaultSettings);
      streams.configure(faults);
      stats.total = 0;
      stats.byRoute = {};
      stats.lastTraceparent = null;
      stats.arrivals = [];
      stats.streams.opened = 0;
    },
    dropStreams: () => streams.dropAll(),
    tick: () => streams.tick(),
    async admit(route, traceparent) {
      stats.total++;
      stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
      stats.arrivals.push({ route, at: Date.now() });
      if (stats.arrivals.length > MAX_ARRIVALS) stats.arrivals.shift();
      if (traceparent) stats.lastTraceparent = traceparent;
      if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs).unref());
      if (faults.outage !== 'off') return faults.outage;
      if (faults.errorRate > 0 && random() < faults.errorRate) return 'error';
      return 'serve';
    },
  };
}

/** Path prefix of the admin routes; never part of an upstream contract. */
export const ADMIN_PREFIX = '/__sandbox';

/**
 * Serves `GET /__sandbox/stats`, `POST /__sandbox/faults` (JSON body of FaultSettings fields),
 * `POST /__sandbox/reset`, `POST /__sandbox/streams/drop` (drops every open stream) and
 * `POST /__sandbox/streams/tick` (one tick now). Returns false when the request is not an admin request.
 */
export function handleAdmin(control: SandboxControl, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? '';
  if (!url.startsWith(ADMIN_PREFIX)) return false;
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const route = url.slice(ADMIN_PREFIX.length);
  if (req.method === 'GET' && route === '/stats') {
    reply(200, { stats: control.stats, faults: control.faults });
    return true;
  }
  if (req.method === 'POST' && route === '/reset') {
    control.reset();
    reply(200, { ok: true });
    return true;
  }
  if (req.method === 'POST' && route === '/streams/drop') {
    const dropped = control.stats.streams.open;
    control.dropStreams();
    reply(200, { dropped });
    return true;
  }
  if (req.method === 'POST' && route === '/streams/tick') {
    control.tick();
    reply(200, { ok: true });
    return true;
  }
  if (req.method === 'POST' && route === '/faults') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      try {
        control.setFaults(JSON.parse(body) as Partial<FaultSettings>);
        reply(200, { faults: control.faults });
      } catch (err) {
        reply(400, { error: (err as Error).message });
      }
    });
    return true;
  }
  reply(404, { error: 'unknown admin route' });
  return true;
}
