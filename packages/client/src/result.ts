/** What a request resolves to: the GraphQL response, with what the HTTP layer said about it. */

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** A warning in `extensions.warnings` (KEY_DEPRECATED, KEY_ROTATION_DUE): code, message and details. */
export interface GatewayWarning {
  code: string;
  message: string;
  [detail: string]: unknown;
}

export interface GraphQLResult<TData = { [key: string]: unknown }> {
  data?: TData | null;
  errors?: GraphQLErrorShape[];
  extensions?: { warnings?: GatewayWarning[]; [key: string]: unknown };
  /** HTTP status of the answer. */
  status: number;
  /** Milliseconds the server asked to wait (Retry-After), when it sent one. */
  retryAfterMs?: number;
}

/** The `extensions.code` of every error of a result. */
export function errorCodes(result: Pick<GraphQLResult, 'errors'>): string[] {
  return (result.errors ?? []).map((error) => String(error.extensions?.code ?? ''));
}

/** Retry-After (delay-seconds or an HTTP date) in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
