/**
 * The root pino logger: JSON lines (pretty in a terminal), credentials redacted everywhere — by path
 * for the known header locations, and by key name at any depth for anything else a line carries
 * (variables named `password`, `apiKey`, `secret`, `signature`, …).
 */
import { type DestinationStream, type Logger, pino } from 'pino';

/** Paths that can carry credentials, in request logs and error objects alike. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers.signature',
  'req.headers["signature-input"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers.signature',
  'headers["signature-input"]',
  'authorization',
  'apiKey',
  'secret',
  'password',
  'token',
];

/** What replaces a redacted value. */
export const REDACTED = '[redacted]';

/**
 * Key names whose values never reach a log line, compared lowercase without `-` and `_`
 * (`api_key`, `X-API-Key` and `apiKey` are one name). A key containing one of `sensitiveParts`
 * is redacted too (`clientSecret`, `newPassword`, `signatureInput`).
 */
const sensitiveNames = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'xapikey',
  'apikey',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'bearer',
  'jwt',
  'privatekey',
  'credentials',
  'credential',
]);
const sensitiveParts = ['password', 'passwd', 'passphrase', 'secret', 'signature', 'apikey', 'privatekey'];

/** Verdicts by raw key: a log line has few distinct keys, so most are decided once. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 4096;

/** Whether a key names a credential (see `sensitiveNames`). */
export function isSensitiveKey(key: string): boolean {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    const normal = key.toLowerCase().replace(/[-_\s]/g, '');
    verdict = sensitiveNames.has(normal) || sensitiveParts.some((part) => normal.includes(part));
    // Keys come from clients too (variable names): the memo stays bounded.
    if (verdicts.size < MAX_VERDICTS) verdicts.set(key, verdict);
  }
  return verdict;
}

const MAX_DEPTH = 8;

/**
 * Returns `value` with every sensitive key's value replaced by `[redacted]`, at any depth of plain
 * objects and arrays (up to 8 levels; deeper ones are replaced whole). Objects without sensitive
 * keys are returned as they are, so the common line costs a walk and no copy.
 */
export function redactSensitive<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as unknown;
      const redacted = redactSensitive(item, depth + 1);
      if (redacted !== item) {
        copy ??= value.slice();
        copy[i] = redacted;
      }
    }
    return (copy ?? value) as T;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  // Errors, Dates, Buffers and class instances are left to pino's serializers.
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const redacted = isSensitiveKey(key) && item !== undefined ? REDACTED : redactSensitive(item, depth + 1);
    if (redacted !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = redacted;
    }
  }
  return (copy ?? value) as T;
}

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where lines go. @default stdout */
  destination?: DestinationStream;
}

/** Creates the process's root logger. */
export function createLogger({ level, pretty, destination }: LoggerOptions): Logger {
  const options = {
    level,
    base: { service: 'switchyard' },
    redact: { paths: redactedPaths, censor: REDACTED },
    formatters: { log: (object: Record<string, unknown>) => redactSensitive(object) },
  };
  if (destination) return pino(options, destination);
  if (!pretty) {
    // A write per line cost ~2% of a small request's CPU (profiled); lines are batched in 4 KiB
    // writes instead, flushed at least every second and at exit (pino registers the flush). A
    // SIGKILL loses at most the last second of lines.
    return pino(options, pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 }));
  }
  return pino({
    ...options,
    transport: {
      target: 'pino-pretty',
      options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' },
    },
  });
}
