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

/** Where to look when Redis refuses the credentials: the variables, by who refused them. */
export interface RedisCredentialHint {
  /** The Redis nodes' credentials (REDIS_PASSWORD, or the ones in REDIS_URL). */
  nodes: string;
  /** The sentinels' own, when there are sentinels. */
  sentinels?: string;
}

/** Replies of a Redis that refused AUTH (6+: WRONGPASS; before: invalid password) or wants it (NOAUTH). */
const AUTH_REFUSED = /\b(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i;

/**
 * An ioredis error as the health log says it. A refused or missing password reads "authentication
 * failed" and names the variables to check, the sentinels' when the sentinels refused it (ioredis
 * then says "All sentinels are unreachable"); a Cluster's "Failed to refresh slots cache" says why
 * (its last node's error). Redis never echoes a password in its replies, and neither does this.
 */
export function redisFailureReason(err: Error, hint: RedisCredentialHint): string {
  const cause = (err as { lastNodeError?: unknown }).lastNodeError;
  const message = cause instanceof Error ? `${err.message} ${cause.message}` : err.message;
  if (!AUTH_REFUSED.test(message)) return message;
  const bySentinels = hint.sentinels !== undefined && message.startsWith('All sentinels are unreachable');
  return `authentication failed (${message}): check ${bySentinels ? hint.sentinels : hint.nodes}`;
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
