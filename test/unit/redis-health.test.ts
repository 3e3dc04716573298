import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRedisHealthLog } from '../../src/stores/redis-health.js';

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
});
