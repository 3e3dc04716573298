/**
 * What the logs say about Redis: one warning when it stops answering, one line when it answers
 * again, and while it stays down a reminder every `reminderMs` — never a line per reconnect attempt
 * or per failed breaker probe (ioredis retries up to every 2 s, a hung Redis reopens the breaker
 * every 0.7 s, forever: a line each buried everything else). Every failure is still counted
 * (metrics, and the `failures` of the reminder and recovery lines).
 */
import type { Logger } from 'pino';

export interface RedisHealthLogOptions {
  logger: Logger;
  /** Time between two "still unreachable" reminders while Redis stays down, in ms. @default 60000 */
  reminderMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface RedisHealthLog {
  /** A failure (a connection error, the breaker opening): logged only when Redis was up. */
  down(reason: string): void;
  /** Redis answered (connection ready, breaker closed): logged only when it was down. */
  up(): void;
  /** Stops the reminder (the client is closing). */
  close(): void;
}

/** What an outage costs, said once in the warning (DESIGN.md "Failure policy"). */
const EFFECT =
  'rate limits count on this instance only, the response cache is bypassed, signed mutations are refused (503) and /readyz answers 503';

export function createRedisHealthLog({
  logger,
  reminderMs = 60_000,
  now = Date.now,
}: RedisHealthLogOptions): RedisHealthLog {
  let since: number | undefined; // set while down
  let failures = 0;
  let lastReason = '';
  let reminder: NodeJS.Timeout | undefined;

  const stopReminder = () => {
    clearInterval(reminder);
    reminder = undefined;
  };

  return {
    down(reason) {
      failures++;
      lastReason = reason;
      if (since !== undefined) return;
      since = now();
      failures = 1;
      logger.warn({ reason }, `redis unreachable: ${EFFECT}; the next line says when it is back`);
      reminder = setInterval(() => {
        logger.warn(
          { reason: lastReason, downForMs: now() - (since ?? now()), failures },
          'redis still unreachable',
        );
      }, reminderMs).unref();
    },
    up() {
      if (since === undefined) return;
      logger.info({ downForMs: now() - since, failures }, 'redis is back: shared state is used again');
      since = undefined;
      failures = 0;
      stopReminder();
    },
    close: stopReminder,
  };
}
