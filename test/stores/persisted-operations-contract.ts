/** One contract for every PersistedOperationStore implementation (memory and Redis). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PersistedOperationStore } from '../../src/stores/persisted-operations.js';

const hash = () => randomUUID().replace(/-/g, '').repeat(2);

export function runPersistedOperationStoreContract(
  name: string,
  make: () => Promise<PersistedOperationStore>,
  available = true,
) {
  // Skipped only where no Redis can be had and REQUIRE_REDIS is unset (test/helpers/redis.ts says so loudly).
  describe.skipIf(!available)(`${name} persisted operation store`, () => {
    it('answers null for an unknown hash', async () => {
      const store = await make();
      expect(await store.get(hash())).toBeNull();
    });

    it('returns a registered document as it was sent', async () => {
      const store = await make();
      const h = hash();
      const document = 'query Q {\n  token(id: "bitcoin") { symbol } # é ✓\n}';
      await store.set(h, document, 60);
      expect(await store.get(h)).toBe(document);
      expect(await store.get(hash())).toBeNull();
    });

    it('replaces a registration under the same hash', async () => {
      const store = await make();
      const h = hash();
      await store.set(h, '{ a }', 60);
      await store.set(h, '{ b }', 60);
      expect(await store.get(h)).toBe('{ b }');
    });

    it('forgets a document after its time to live, even when it is read meanwhile', async () => {
      const store = await make();
      const h = hash();
      await store.set(h, '{ a }', 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await store.get(h)).toBe('{ a }');
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(await store.get(h)).toBeNull();
    });
  });
}
