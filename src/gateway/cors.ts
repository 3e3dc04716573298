/**
 * CORS, as Yoga's `cors` option: which browser origins may read Switchyard's answers (CORS_ORIGINS).
 * Never with credentials: Switchyard authenticates with headers (X-API-Key, Authorization,
 * signatures), never cookies, so no page needs the browser's cookies sent along.
 *
 * Yoga (@whatwg-node/server's useCORS) allows every origin, with credentials, when its options name
 * no origin, and answers `Access-Control-Allow-Origin: null` to an origin missing from a list (the
 * origin of sandboxed frames and file: pages is `null`). So the policy decides per request: an
 * origin that is not allowed gets `false` (no CORS header at all), an allowed one is named alone.
 */
import { defaultCsrfHeaders } from '../plugins/use-csrf-prevention.js';
import { REQUEST_ID_HEADER } from '../plugins/use-request-id.js';

/** `*`: any origin; `loopback`: http://localhost, 127.0.0.1 and [::1] on any port; else exactly these. */
export type CorsOrigins = '*' | 'loopback' | readonly string[];

/** The options Yoga's `cors` takes (@whatwg-node/server CORSOptions). */
export interface CorsOptions {
  origin?: string[] | string;
  methods?: string[];
  allowedHeaders?: string[];
  exposedHeaders?: string[];
  credentials?: boolean;
  maxAge?: number;
}

/** Yoga's `cors` option: the CORS options of one request, `false` for none. */
export type CorsPolicy = (request: Request) => CorsOptions | false;

/** Request headers a page may send: the ones the gateway reads (identity, signatures, CSRF, tracing). */
export const CORS_ALLOWED_HEADERS: readonly string[] = [
  'content-type',
  'authorization',
  'x-api-key',
  'signature',
  'signature-input',
  'content-digest',
  REQUEST_ID_HEADER,
  ...defaultCsrfHeaders,
  'traceparent',
  'tracestate',
];

/**
 * Response headers a page may read beyond the safelisted ones: rate limits, request id, key sunset,
 * and Date (the SDK corrects its clock from it: a signature's `created` must be within the window).
 */
export const CORS_EXPOSED_HEADERS: readonly string[] = [
  'Date',
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'X-Request-Id',
  'Deprecation',
  'Sunset',
];

const LOOPBACK_ORIGIN = /^http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/;

/** Whether an Origin is a page served from this machine (the default outside production). */
export function isLoopbackOrigin(origin: string): boolean {
  return LOOPBACK_ORIGIN.test(origin);
}

/** Builds the per-request CORS decision for an allowlist (see CorsOrigins). */
export function createCorsPolicy(origins: CorsOrigins): CorsPolicy {
  const common = {
    methods: ['GET', 'POST'],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    // Explicit: useCORS sends Access-Control-Allow-Credentials: true when this is left unset.
    credentials: false,
    maxAge: 600,
  } satisfies CorsOptions;
  // useCORS echoes the request's origin for `*` (with Vary: Origin): without credentials that
  // grants what a literal `*` grants.
  if (origins === '*') {
    const any: CorsOptions = { ...common, origin: '*' };
    return () => any;
  }
  const listed = new Set(origins === 'loopback' ? [] : origins);
  const allowed = origins === 'loopback' ? isLoopbackOrigin : (origin: string) => listed.has(origin);
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed(origin)) return false;
    // Named twice: useCORS echoes an origin it finds in a list of several and adds `Vary: Origin`,
    // which a shared cache needs to keep one origin's answer from another (one name alone gets no Vary).
    return { ...common, origin: [origin, origin] };
  };
}
