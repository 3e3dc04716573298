import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/processes.js';
import { startTestGateway } from '../helpers/gateway.js';
import { type TestRedis, useTestRedis } from '../helpers/redis.js';

describe('/readyz with Redis', () => {
  let redis: TestRedis | null;
  beforeAll(async () => {
    redis = await useTestRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('reports Redis ready when it answers', async (context) => {
    if (!redis) return context.skip();
    const gateway = await startTestGateway({ env: { REDIS_URL: redis.url } });
    try {
      const response = await fetch(`${gateway.origin}/readyz`);
      const body = (await response.json()) as { checks: Record<string, { ok: boolean }> };
      expect(response.status).toBe(200);
      expect(body.checks.redis?.ok).toBe(true);
    } finally {
      await gateway.close();
    }
  });

  it('reports not ready, naming Redis, when it is down — and still serves queries', async () => {
    const gateway = await startTestGateway({ env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` } });
    try {
      const response = await fetch(`${gateway.origin}/readyz`);
      const body = (await response.json()) as { checks: Record<string, { ok: boolean }> };
      expect(response.status).toBe(503);
      expect(body.checks.redis?.ok).toBe(false);
      expect(body.checks.market?.ok).toBe(true);
      const reply = await gateway.graphql('{ token(id: "bitcoin") { symbol } }', {}, {});
      expect(reply.body.data).toEqual({ token: { symbol: 'BTC' } });
    } finally {
      await gateway.close();
    }
  });
});
