/** The exchange's error replies: `{ code, msg }` with a negative code, as openapi.yaml lists them. */
import type { JsonReply } from '../../sandbox-kit/http.js';

/** Missing, unknown or deleted API key, address not allowed, or permission missing. */
export const INVALID_KEY = -2015;
/** Signature missing, malformed or wrong. */
export const INVALID_SIGNATURE = -1022;
/** Timestamp missing, malformed, or outside the receive window. */
export const OUTSIDE_RECV_WINDOW = -1021;
/** Any other bad parameter. */
export const BAD_PARAMETER = -1102;

/** The exchange's error body with its HTTP status. */
export const exchangeError = (status: number, code: number, msg: string): JsonReply => ({
  status,
  body: { code, msg },
});

/** The 401 of a key that cannot be used for this request (which of the reasons is not said). */
export const invalidKey = (): JsonReply =>
  exchangeError(401, INVALID_KEY, 'Invalid API-key, IP, or permissions for action.');

/** The 401 of a signature that is missing, malformed or wrong. */
export const invalidSignature = (): JsonReply =>
  exchangeError(401, INVALID_SIGNATURE, 'Signature for this request is not valid.');

/** The 400 of a timestamp that is missing, malformed or outside the receive window. */
export const outsideRecvWindow = (): JsonReply =>
  exchangeError(400, OUTSIDE_RECV_WINDOW, 'Timestamp for this request is outside of the recvWindow.');

/** The 400 of any other bad parameter, naming it. */
export const badParameter = (msg: string): JsonReply => exchangeError(400, BAD_PARAMETER, msg);
