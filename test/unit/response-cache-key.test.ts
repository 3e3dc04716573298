/** The response cache's operation key: the library's default digest, computed without WebCrypto. */
import { defaultBuildResponseCacheKey } from '@envelop/response-cache';
import { describe, expect, it } from 'vitest';
import { operationKey } from '../../src/plugins/use-response-cache.js';

describe('operationKey', () => {
  const cases = [
    { documentString: 'query Token($id: ID!) { token(id: $id) { id price } }', operationName: 'Token' },
    { documentString: '{ a }', operationName: null, variableValues: undefined, sessionId: null },
    // Variables in another key order: one entry (stable stringify), as with the default.
    { documentString: '{ a }', variableValues: { b: [1, { d: 2, c: 'é' }], a: null }, sessionId: 'user:u-1' },
    { documentString: '{ a }', variableValues: { a: null, b: [1, { c: 'é', d: 2 }] }, sessionId: 'user:u-1' },
  ];

  it('is the library default digest for the same input, so stored entries stay valid', async () => {
    for (const params of cases) {
      const full = { context: {}, variableValues: undefined, sessionId: null, ...params } as Parameters<
        typeof operationKey
      >[0];
      expect(operationKey(full)).toBe(await defaultBuildResponseCacheKey(full));
      expect(operationKey(full)).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('differs with the document, the operation, the variables and the session', () => {
    const base = {
      context: {},
      documentString: '{ a }',
      operationName: 'A',
      variableValues: { x: 1 },
      sessionId: 's',
    };
    const key = (change: object) =>
      operationKey({ ...base, ...change } as Parameters<typeof operationKey>[0]);
    const keys = new Set([
      key({}),
      key({ documentString: '{ b }' }),
      key({ operationName: 'B' }),
      key({ variableValues: { x: 2 } }),
      key({ sessionId: 't' }),
    ]);
    expect(keys.size).toBe(5);
    expect(key({ variableValues: { x: 1 } })).toBe(key({}));
  });
});
