import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRedisHealthLog, redisFailureReason } from '../../src/stores/redis-health.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis health log', () => {
  it('logs a failure once, reminds at its own pace while down, and logs the recovery once', async () => {
    const lines: { level: number; msg: string; failures?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const health = createRedisHealthLog({ logger, reminderMs: 200 });
    health.up(); // up while up: nothing to say
    for (let i = 0; i < 50; i++) health.down('connect ECONNREFUSED 127.0.0.1:6379');
    await sleep(450);
    for (let i = 0; i < 10; i++) health.down('connect ECONNREFUSED 127.0.0.1:6379');
    health.up();
    health.up();
    await sleep(300);
    health.close();
    expect(lines.map((line) => [line.level, line.msg.split(':')[0]])).toEqual([
      [40, 'redis unreachable'],
      [40, 'redis still unreachable'],
      [40, 'redis still unreachable'],
      [30, 'redis is back'],
    ]);
    expect(lines[1]?.failures).toBe(50);
    expect(lines[3]?.failures).toBe(60);
  });

  it('says authentication failed for a refused or missing password, naming whose credentials to check', () => {
    const hint = { nodes: 'REDIS_PASSWORD', sentinels: 'REDIS_SENTINEL_PASSWORD' };
    expect(
      redisFailureReason(new Error('WRONGPASS invalid username-password pair or user is disabled.'), hint),
    ).toBe(
      'authentication failed (WRONGPASS invalid username-password pair or user is disabled.): check REDIS_PASSWORD',
    );
    expect(
      redisFailureReason(new Error('Ready check failed: NOAUTH Authentication required.'), hint),
    ).toMatch(
      /^authentication failed \(Ready check failed: NOAUTH Authentication required\.\): check REDIS_PASSWORD$/,
    );
    expect(redisFailureReason(new Error('ERR invalid password'), hint)).toMatch(/^authentication failed/);
    // ioredis's word when every sentinel refused it: the sentinels' password.
    expect(
      redisFailureReason(
        new Error(
          'All sentinels are unreachable. Retrying from scratch after 10ms. Last error: NOAUTH Authentication required.',
        ),
        hint,
      ),
    ).toMatch(/^authentication failed \(All sentinels are unreachable.*\): check REDIS_SENTINEL_PASSWORD$/);
    // A Cluster's slot-map failure says why: its last node's error.
    const slots = Object.assign(new Error('Failed to refresh slots cache.'), {
      lastNodeError: new Error('WRONGPASS invalid username-password pair or user is disabled.'),
    });
    expect(redisFailureReason(slots, { nodes: 'REDIS_PASSWORD' })).toBe(
      'authentication failed (Failed to refresh slots cache. WRONGPASS invalid username-password pair or user is disabled.): check REDIS_PASSWORD',
    );
    // Anything else is said as it is.
    expect(redisFailureReason(new Error('connect ECONNREFUSED 127.0.0.1:6379'), hint)).toBe(
      'connect ECONNREFUSED 127.0.0.1:6379',
    );
  });
});
