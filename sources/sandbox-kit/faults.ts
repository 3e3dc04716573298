/**
 * Fault knobs and request counters shared by every sandbox. Tests in-process call the object;
 * tests and the benchmark against separate processes use the HTTP admin routes (see `handleAdmin`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** How a sandbox misbehaves. Every knob is off by default. */
export interface FaultSettings {
  /** Added latency per request, in milliseconds. @default 0 */
  latencyMs: number;
  /** Fraction of requests (0..1) that fail with a server error. @default 0 */
  errorRate: number;
  /**
   * A whole-service outage: `error` answers every request with an unavailable status,
   * `reset` destroys the connection (REST) or answers UNAVAILABLE (gRPC), `hang` never answers,
   * `garbage` answers 200 with a body that is not the contract. @default 'off'
   */
  outage: 'off' | 'error' | 'reset' | 'hang' | 'garbage';
}

export const defaultFaultSettings: Readonly<FaultSettings> = { latencyMs: 0, errorRate: 0, outage: 'off' };

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
}

/** Arrivals kept in `SandboxStats.arrivals`. */
export const MAX_ARRIVALS = 100;

/** The fault and counter state of one sandbox instance. */
export interface SandboxControl {
  readonly faults: FaultSettings;
  readonly stats: SandboxStats;
  setFaults(update: Partial<FaultSettings>): void;
  /** Clears counters and faults. */
  reset(): void;
  /** Counts one request and returns what to do with it. */
  admit(route: string, traceparent?: string | null): Promise<FaultDecision>;
}

export type FaultDecision = 'serve' | 'error' | 'reset' | 'hang' | 'garbage';

/** Creates the fault/counter state; `random` is injectable so error rates are reproducible. */
export function createSandboxControl(random: () => number = Math.random): SandboxControl {
  const faults: FaultSettings = { ...defaultFaultSettings };
  const stats: SandboxStats = { total: 0, byRoute: {}, lastTraceparent: null, arrivals: [] };
  return {
    faults,
    stats,
    setFaults(update) {
      const next = { ...faults, ...update };
      if (!(next.latencyMs >= 0) || !(next.errorRate >= 0 && next.errorRate <= 1)) {
        throw new RangeError('latencyMs must be >= 0 and errorRate within 0..1');
      }
      if (!['off', 'error', 'reset', 'hang', 'garbage'].includes(next.outage)) {
        throw new RangeError(`unknown outage mode ${String(next.outage)}`);
      }
      Object.assign(faults, next);
    },
    reset() {
      Object.assign(faults, defaultFaultSettings);
      stats.total = 0;
      stats.byRoute = {};
      stats.lastTraceparent = null;
      stats.arrivals = [];
    },
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
 * Serves `GET /__sandbox/stats`, `POST /__sandbox/faults` (JSON body of FaultSettings fields) and
 * `POST /__sandbox/reset`. Returns false when the request is not an admin request.
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
