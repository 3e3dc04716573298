/** An open-loop read load for outage tests: one token query every `everyMs`, a slow answer delaying nothing. */
import type { TestGateway } from './gateway.js';

/** The read the load sends: public, cached upstream, answered with data while Redis is down. */
export const STEADY_READ = '{ token(id: "bitcoin") { id symbol price { usd } } }';

/** One answered (or failed: status 0) read. */
export interface ReadSample {
  /** When it was sent (performance.now()). */
  readonly at: number;
  readonly ms: number;
  readonly status: number;
  readonly symbol: unknown;
}

/** Sends STEADY_READ every `everyMs` until stopped; stop() waits for every answer. */
export function steadyReads(gateway: TestGateway, everyMs: number) {
  const pending: Promise<ReadSample>[] = [];
  const timer = setInterval(() => {
    const started = performance.now();
    pending.push(
      gateway.graphql(STEADY_READ).then(
        (reply) => ({
          at: started,
          ms: performance.now() - started,
          status: reply.status,
          symbol: (reply.body.data?.token as { symbol?: unknown } | null | undefined)?.symbol,
        }),
        () => ({ at: started, ms: performance.now() - started, status: 0, symbol: undefined }),
      ),
    );
  }, everyMs);
  return {
    async stop(): Promise<ReadSample[]> {
      clearInterval(timer);
      return Promise.all(pending);
    },
  };
}
