/** Trading upstream failures → client errors of the catalogue. */
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { gatewayError } from '../../src/errors.js';
import { isUpstreamError, toClientError, type UpstreamError } from '../../src/upstream/errors.js';

function logged(err: UpstreamError, log: Logger | undefined): UpstreamError {
  log?.warn({ err, source: err.source, code: err.code }, 'trading call failed');
  return err;
}

/**
 * What to throw for a failed trading call: an UpstreamError becomes its client error (code and
 * source, nothing internal) after its server-side detail is logged; anything else is returned
 * untouched so that the gateway masks and logs it.
 */
export function toTradingError(err: unknown, log?: Logger): unknown {
  return isUpstreamError(err) ? toClientError(logged(err, log)) : err;
}

/**
 * A failed PlaceOrder. A timeout is ambiguous (the order may exist), so the client is told how to
 * find out instead of being invited to retry blindly; ALREADY_EXISTS means the idempotency key was
 * used for an order with other parameters.
 */
export function toPlaceOrderError(err: unknown, clientOrderId: string, log?: Logger): unknown {
  if (!isUpstreamError(err)) return err;
  if (err.code === 'UPSTREAM_TIMEOUT') {
    logged(err, log);
    return gatewayError(
      'UPSTREAM_TIMEOUT',
      `The order may or may not have been placed: query orders(accountId) for clientOrderId "${clientOrderId}" before placing it again.`,
      { source: 'trading', clientOrderId, ambiguous: true },
    );
  }
  if (err.status === status.ALREADY_EXISTS) {
    return gatewayError(
      'BAD_USER_INPUT',
      `clientOrderId "${clientOrderId}" was already used for a different order on this account: choose a new clientOrderId.`,
      { source: 'trading', argument: 'clientOrderId', clientOrderId },
    );
  }
  return toTradingError(err, log);
}

/** A failed CancelOrder: an order that is no longer OPEN is the client's mistake, said plainly. */
export function toCancelOrderError(err: unknown, log?: Logger): unknown {
  if (isUpstreamError(err) && err.status === status.FAILED_PRECONDITION) {
    return gatewayError('BAD_USER_INPUT', 'Only OPEN orders can be cancelled.', {
      source: 'trading',
      argument: 'id',
    });
  }
  return toTradingError(err, log);
}
