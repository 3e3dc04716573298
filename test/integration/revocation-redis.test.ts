import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { useTestRedis } from '../helpers/redis.js';

const redis = await useTestRedis();

// Skipped only where no Redis can be had and REQUIRE_REDIS is unset (the helper says so loudly).
describe.skipIf(!redis)('two instances sharing Redis', () => {
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await redis?.stop();
  });

  it('refuses a key revoked on one instance at the other at once (pushed), within one second at worst', async () => {
    const env = { REDIS_URL: redis!.url, REDIS_KEY_PREFIX: `test:${randomUUID()}:` };
    const [a, b] = await Promise.all([startTestGateway({ env }), startTestGateway({ env })]);
    gateways.push(a!, b!);
    const { key, record } = await a!.running.keys.create({ clientId: 'user-1', name: 'shared' }, 'test');
    const query = '{ portfolio(accountId: "acc-1") { accountId } }';
    expect((await b!.graphql(query, {}, { 'x-api-key': key })).body.data?.portfolio).toEqual({
      accountId: 'acc-1',
    });

    await a!.running.keys.revoke(record.keyId, 'leaked', 'test');
    const revokedAt = Date.now();
    let refusedAfter = Number.POSITIVE_INFINITY;
    while (Date.now() - revokedAt < 2000) {
      const reply = await b!.graphql(query, {}, { 'x-api-key': key });
      if (reply.body.errors?.[0]?.extensions?.code === 'KEY_REVOKED') {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Pub/sub invalidation makes it immediate; the 1 s record cache is only the backstop.
    expect(refusedAfter).toBeLessThan(500);
    const audit = await a!.running.keys.recentAudit(20);
    expect(audit.map((e) => e.type)).toEqual(
      expect.arrayContaining(['key.created', 'key.revoked', 'key.refused']),
    );
  });
});
