/** The root pino logger: JSON lines (pretty in a terminal), credentials redacted everywhere. */
import { type Logger, pino } from 'pino';

/** Paths that can carry credentials, in request logs and error objects alike. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers.signature',
  'req.headers["signature-input"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers.signature',
  'authorization',
  'apiKey',
  'secret',
  'password',
  'token',
];

/** Creates the process's root logger. */
export function createLogger(options: { level: string; pretty: boolean }): Logger {
  return pino({
    level: options.level,
    base: { service: 'switchyard' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    ...(options.pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' },
          },
        }
      : {}),
  });
}
