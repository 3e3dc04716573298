/**
 * The replay rule of signed requests (DESIGN.md, "Signed mutations"): a nonce is accepted once per
 * key within the signature window, across every instance. The interface lives with the signature
 * check that depends on it; src/stores has its memory and Redis implementations.
 */

/** Remembers signature nonces: each accepted once per key within the signature window. */
export interface NonceStore {
  /** True the first time a (key, nonce) pair is seen within `ttlSeconds`; false for a replay. Throws when unreachable. */
  claim(keyId: string, nonce: string, ttlSeconds: number): Promise<boolean>;
}
