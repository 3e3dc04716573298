/**
 * One contract for every InvalidationBus (memory and Redis): what one instance publishes reaches the
 * subscribers of every instance on the same medium (its own included), and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InvalidationBus } from '../../src/keys/stores.js';
import {
  createMemoryInvalidationBus,
  createRedisInvalidationBus,
  type MemoryInvalidationHub,
} from '../../src/stores/index.js';
import { freshPrefix, useStoreRedis } from './redis-client.js';

/** Buses made with one medium share it, like instances sharing one Redis and prefix. */
type MakeBus = (medium: string) => InvalidationBus;

/** Records the key ids a bus delivers. */
function listen(bus: InvalidationBus): string[] {
  const received: string[] = [];
  bus.subscribe((keyId) => received.push(keyId));
  return received;
}

function contract(name: string, make: MakeBus, available = true) {
  describe.skipIf(!available)(`${name} invalidation bus`, () => {
    const open: InvalidationBus[] = [];
    const bus = (medium: string) => {
      const made = make(medium);
      open.push(made);
      return made;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    /**
     * Publishes from `from` until `to` received the key id. A Redis subscription starts
     * asynchronously; once a key id arrives, the subscription is live.
     */
    async function deliver(from: InvalidationBus, received: string[], keyId = randomUUID()) {
      await vi.waitFor(
        async () => {
          if (!received.includes(keyId)) await from.publish(keyId);
          expect(received).toContain(keyId);
        },
        { timeout: 5000, interval: 50 },
      );
      return keyId;
    }

    it('delivers a key id published on one instance to every subscriber on another, and to its own', async () => {
      const medium = randomUUID();
      const a = bus(medium);
      const b = bus(medium);
      const onA = listen(a);
      const onB = listen(b);
      const alsoOnB = listen(b);
      const keyId = await deliver(a, onB);
      await vi.waitFor(() => {
        expect(alsoOnB).toContain(keyId);
        expect(onA).toContain(keyId);
      });
    });

    it('delivers key ids in the order one instance published them', async () => {
      const medium = randomUUID();
      const a = bus(medium);
      const onB = listen(bus(medium));
      await deliver(a, onB);
      const ids = Array.from({ length: 20 }, () => randomUUID());
      for (const id of ids) await a.publish(id);
      await vi.waitFor(() => expect(onB.slice(-ids.length)).toEqual(ids));
    });

    it('keeps instances on another medium (prefix) out', async () => {
      const a = bus(randomUUID());
      const onA = listen(a);
      const onOther = listen(bus(randomUUID()));
      const keyId = await deliver(a, onA);
      // Delivered to a, so delivered everywhere it would be: the other medium got nothing.
      expect(onOther).not.toContain(keyId);
    });

    it('stops delivering to a closed instance; the others keep receiving', async () => {
      const medium = randomUUID();
      const a = bus(medium);
      const b = bus(medium);
      const onA = listen(a);
      const onB = listen(b);
      await deliver(a, onB);
      await b.close();
      const keyId = await deliver(a, onA);
      expect(onB).not.toContain(keyId);
    });
  });
}

const hubs = new Map<string, MemoryInvalidationHub>();
contract('memory', (medium) => {
  const hub = hubs.get(medium) ?? new Set();
  hubs.set(medium, hub);
  return createMemoryInvalidationBus(hub);
});

const redis = await useStoreRedis();
const prefixes = new Map<string, string>();
contract(
  'redis',
  (medium) => {
    const prefix = prefixes.get(medium) ?? freshPrefix();
    prefixes.set(medium, prefix);
    return createRedisInvalidationBus({ redis: redis!, prefix });
  },
  redis !== undefined,
);

describe('memory invalidation bus', () => {
  it('delivers within one bus when no hub is shared (one process)', async () => {
    const bus = createMemoryInvalidationBus();
    const received = listen(bus);
    await bus.publish('k1');
    expect(received).toEqual(['k1']);
    await bus.close();
    await bus.publish('k2');
    expect(received).toEqual(['k1']);
  });
});
