/**
 * The streaming half of a sandbox's control: the registry of open streams (what `stats.streams`
 * reports and what a blip or an outage drops) and the two shared timers, ticks and heartbeats. One
 * timer of each per sandbox, whatever the number of streams, so thousands of streams cost little;
 * the timers run only while a stream is open.
 */

/** Open streams and how many were accepted. */
export interface StreamStats {
  /** Streams open now. */
  open: number;
  /** Streams accepted since start (or since the last reset). */
  opened: number;
  /** Streams open now, per route or RPC method name. */
  byRoute: Record<string, number>;
}

/** How fast a sandbox streams. */
export interface StreamSettings {
  /** Ticks per second of the shared timer; 0 pauses it (`tick()` still ticks). Within 0..1000. */
  ticksPerSecond: number;
  /** Interval of the heartbeat (SSE comment, gRPC marker), in ms. At least 1. */
  heartbeatMs: number;
}

/** The registry and timers of one sandbox. */
export interface SandboxStreams {
  /**
   * Counts an accepted stream; `drop` ends it abruptly (a blip, an outage). Returns the function
   * to call once the stream has closed, whatever closed it; calling it twice is harmless.
   */
  open(route: string, drop: () => void): () => void;
  /** Drops every open stream now; new streams are accepted at once. */
  dropAll(): void;
  /** Calls `listener` on every tick; returns the unsubscribe function. */
  onTick(listener: () => void): () => void;
  /** Calls `listener` on every heartbeat; returns the unsubscribe function. */
  onHeartbeat(listener: () => void): () => void;
  /** Ticks now, off the timer: tests need not wait. */
  tick(): void;
  /** Applies new settings to the running timers. */
  configure(settings: StreamSettings): void;
}

/** Creates the registry; `counts` is the object `SandboxStats.streams` exposes, updated in place. */
export function createSandboxStreams(counts: StreamStats, initial: StreamSettings): SandboxStreams {
  const drops = new Set<() => void>();
  const tickListeners = new Set<() => void>();
  const heartbeatListeners = new Set<() => void>();
  let settings = { ...initial };
  let ticker: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const emit = (listeners: Set<() => void>) => {
    for (const listener of [...listeners]) listener();
  };

  /** (Re)starts or stops the timers for the current settings and number of open streams. */
  function schedule(): void {
    clearInterval(ticker);
    clearInterval(heartbeat);
    ticker = heartbeat = undefined;
    if (drops.size === 0) return;
    if (settings.ticksPerSecond > 0) {
      ticker = setInterval(() => emit(tickListeners), 1000 / settings.ticksPerSecond).unref();
    }
    heartbeat = setInterval(() => emit(heartbeatListeners), settings.heartbeatMs).unref();
  }

  const subscribe = (listeners: Set<() => void>, listener: () => void) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };

  return {
    open(route, drop) {
      counts.open++;
      counts.opened++;
      counts.byRoute[route] = (counts.byRoute[route] ?? 0) + 1;
      drops.add(drop);
      if (drops.size === 1) schedule();
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        drops.delete(drop);
        counts.open--;
        counts.byRoute[route] = (counts.byRoute[route] ?? 1) - 1;
        if (counts.byRoute[route] === 0) delete counts.byRoute[route];
        if (drops.size === 0) schedule();
      };
    },
    dropAll() {
      for (const drop of [...drops]) drop();
    },
    onTick: (listener) => subscribe(tickListeners, listener),
    onHeartbeat: (listener) => subscribe(heartbeatListeners, listener),
    tick: () => emit(tickListeners),
    configure(next) {
      const changed =
        next.ticksPerSecond !== settings.ticksPerSecond || next.heartbeatMs !== settings.heartbeatMs;
      settings = { ...next };
      if (changed) schedule();
    },
  };
}
