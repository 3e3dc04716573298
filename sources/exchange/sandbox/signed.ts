/**
 * The check of a signed request, in the contract's order: API key → timestamp and recvWindow →
 * signature → address allowlist → permission. The signature is the lowercase hex HMAC-SHA256,
 * under the key's secret, of the raw query string before `&signature=`, which must come last.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JsonReply, RouteRequest } from '../../sandbox-kit/http.js';
import { badParameter, invalidKey, invalidSignature, outsideRecvWindow } from './errors.js';
import { type ExchangeKey, isAddressAllowed, type KeyPermissions, type KeyRegistry } from './keys.js';

/** Header that carries the API key. */
export const API_KEY_HEADER = 'x-ex-apikey';
/** recvWindow when the request has none, in ms. */
export const DEFAULT_RECV_WINDOW_MS = 5000;
/** Largest recvWindow, in ms. */
export const MAX_RECV_WINDOW_MS = 60_000;
/** How far ahead of the server clock a timestamp may be, in ms. */
export const MAX_CLOCK_AHEAD_MS = 1000;

const SIGNATURE_PARAM = '&signature=';
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

/** The lowercase hex HMAC-SHA256 of `payload` under `secret`: what a client puts in `signature`. */
export function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/**
 * The key of a signed request that passes every check, or the error reply of the first check it
 * fails. `permission` is what the route needs beyond a valid key; `serverTime` is the sandbox
 * clock in epoch ms.
 */
export function verifySignedRequest(
  request: RouteRequest,
  keys: KeyRegistry,
  serverTime: number,
  permission?: Exclude<keyof KeyPermissions, 'ipRestricted'>,
): ExchangeKey | JsonReply {
  const header = request.headers[API_KEY_HEADER];
  const key = typeof header === 'string' && header !== '' ? keys.get(header) : undefined;
  if (!key) return invalidKey();

  const { rawQuery } = request;
  const at = rawQuery.startsWith(SIGNATURE_PARAM.slice(1)) ? -1 : rawQuery.lastIndexOf(SIGNATURE_PARAM);
  // Parameters are read from the signed part only; nothing after the signature is accepted.
  const payload = at < 0 ? rawQuery : rawQuery.slice(0, at);
  const signature = at < 0 ? null : rawQuery.slice(at + SIGNATURE_PARAM.length);
  const params = new URLSearchParams(payload);

  const timestamps = params.getAll('timestamp');
  const timestamp =
    timestamps.length === 1 && /^\d{1,16}$/.test(timestamps[0] ?? '') ? Number(timestamps[0]) : null;
  if (timestamp === null) return outsideRecvWindow();
  const windows = params.getAll('recvWindow');
  const recvWindow = windows.length === 0 ? DEFAULT_RECV_WINDOW_MS : recvWindowOf(windows);
  if (recvWindow === null)
    return badParameter(`recvWindow must be given once, an integer within 1..${MAX_RECV_WINDOW_MS}`);
  if (timestamp < serverTime - recvWindow || timestamp > serverTime + MAX_CLOCK_AHEAD_MS)
    return outsideRecvWindow();

  if (signature === null || !HEX_SIGNATURE.test(signature)) return invalidSignature();
  const expected = Buffer.from(sign(key.apiSecret, payload), 'ascii');
  if (!timingSafeEqual(Buffer.from(signature, 'ascii'), expected)) return invalidSignature();

  if (!isAddressAllowed(key, request.remoteAddress)) return invalidKey();
  if (permission && !key.permissions[permission]) return invalidKey();
  return key;
}

function recvWindowOf(values: readonly string[]): number | null {
  const [raw] = values;
  if (values.length !== 1 || raw === undefined || !/^\d{1,5}$/.test(raw)) return null;
  const value = Number(raw);
  return value >= 1 && value <= MAX_RECV_WINDOW_MS ? value : null;
}

/** Whether `verifySignedRequest` answered with an error rather than a key. */
export const isReply = (value: ExchangeKey | JsonReply): value is JsonReply => 'status' in value;
