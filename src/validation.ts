/** Input checks done at the edge, before any upstream sees the value. */
import { gatewayError } from './errors.js';

const TOKEN_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Token ids are lowercase slugs (`bitcoin`, `usd-coin`). */
export function assertTokenId(id: string, argument = 'id'): string {
  if (!TOKEN_ID.test(id)) {
    throw gatewayError('BAD_USER_INPUT', `${argument} must be a lowercase token slug such as "bitcoin".`, {
      argument,
    });
  }
  return id;
}

/** Account, order and client-order ids: 1–64 characters of letters, digits, `-` and `_`. */
export function assertEntityId(id: string, argument: string): string {
  if (!ENTITY_ID.test(id)) {
    throw gatewayError('BAD_USER_INPUT', `${argument} must be 1-64 letters, digits, "-" or "_".`, {
      argument,
    });
  }
  return id;
}

/** A Decimal (already syntax-checked by the scalar) that must be greater than zero. */
export function assertPositiveDecimal(value: string, argument: string): string {
  if (value.startsWith('-') || !/[1-9]/.test(value)) {
    throw gatewayError('BAD_USER_INPUT', `${argument} must be greater than zero.`, { argument });
  }
  return value;
}

/** The ids a subscription follows: 1..`max` token slugs, each at most once (duplicates dropped). */
export function assertTokenIds(ids: readonly string[], max: number, argument = 'tokenIds'): string[] {
  const distinct = [...new Set(ids)];
  if (distinct.length === 0 || distinct.length > max) {
    throw gatewayError('BAD_USER_INPUT', `${argument} must hold 1..${max} token ids.`, { argument, max });
  }
  for (const id of distinct) assertTokenId(id, argument);
  return distinct;
}
