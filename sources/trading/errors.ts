/**
 * Trading's own readings of some upstream failures, as data for the shared mapper
 * (src/upstream/errors.ts `toClientError`); every other failure gets its default client error.
 */
import { status } from '@grpc/grpc-js';
import type { UpstreamFailureCases } from '../../src/upstream/errors.js';

/**
 * A failed PlaceOrder. A timeout is ambiguous (the order may exist), so the client is told how to
 * find out instead of being invited to retry blindly; ALREADY_EXISTS means the idempotency key was
 * used for an order with other parameters (the client's mistake: not logged).
 */
export function placeOrderFailures(clientOrderId: string): UpstreamFailureCases {
  return [
    {
      failure: 'UPSTREAM_TIMEOUT',
      answer: 'UPSTREAM_TIMEOUT',
      message: `The order may or may not have been placed: query orders(accountId) for clientOrderId "${clientOrderId}" before placing it again.`,
      details: { clientOrderId, ambiguous: true },
    },
    {
      status: status.ALREADY_EXISTS,
      answer: 'BAD_USER_INPUT',
      message: `clientOrderId "${clientOrderId}" was already used for a different order on this account: choose a new clientOrderId.`,
      details: { argument: 'clientOrderId', clientOrderId },
      log: false,
    },
  ];
}

/** A failed CancelOrder: an order that is no longer OPEN is the client's mistake, said plainly. */
export const cancelOrderFailures: UpstreamFailureCases = [
  {
    status: status.FAILED_PRECONDITION,
    answer: 'BAD_USER_INPUT',
    message: 'Only OPEN orders can be cancelled.',
    details: { argument: 'id' },
    log: false,
  },
];
