/**
 * Bounded label values. A label value taken from a request (an operation name) would let any client
 * create series without end, so values are checked and capped per gateway instance.
 */

/** Label of an operation without a name. */
export const ANONYMOUS = '__anonymous';
/** Label of an operation name that is not a GraphQL name. */
export const INVALID = '__invalid';
/** Label once the cap of distinct values is reached. */
export const OTHER = '__other';
/** Label of a request that never named an operation (not GraphQL, refused before parsing). */
export const NONE = '__none';

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/** Returns the value itself for the first `max` distinct values, `overflow` for any other. */
export function createLabelLimiter(max: number, overflow = OTHER): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return overflow;
    seen.add(value);
    return value;
  };
}

/** The `operation` label of an operation name: anonymous, invalid, capped, or the name. */
export function operationLabel(name: string | null | undefined, limit: (value: string) => string): string {
  if (name === null || name === undefined || name === '') return ANONYMOUS;
  if (!GRAPHQL_NAME.test(name)) return INVALID;
  return limit(name);
}
