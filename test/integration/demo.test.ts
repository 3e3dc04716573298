import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { exampleQuery } from '../../src/gateway/example.js';
import { type RunningSwitchyard, startSwitchyard } from '../../src/main.js';

describe('demo mode (no upstream configured)', () => {
  let running: RunningSwitchyard;
  beforeAll(async () => {
    running = await startSwitchyard(
      loadConfig({ PORT: '0', HOST: '127.0.0.1' }, false),
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await running.close();
  });

  it('starts the four sandboxes in-process', () => {
    expect(Object.keys(running.sandboxes ?? {}).sort()).toEqual([
      'market',
      'portfolio',
      'signals',
      'trading',
    ]);
  });

  it('serves GraphiQL to a browser with the example query and the demo key preset', async () => {
    const response = await fetch(running.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('Switchyard');
    expect(html).toContain('acc-1');
    expect(html).toContain(running.demoKeys?.['user-1'] ?? 'no demo key');
  });

  it('answers the example query with 50 positions, prices and signals', async () => {
    const response = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': running.demoKeys?.['user-1'] ?? '' },
      body: JSON.stringify({ query: exampleQuery }),
    });
    const body = (await response.json()) as {
      errors?: unknown;
      data: { portfolio: { positions: { token: { price: { usd: string } } }[] }; token: { symbol: string } };
    };
    expect(body.errors).toBeUndefined();
    expect(body.data.portfolio.positions).toHaveLength(50);
    expect(body.data.portfolio.positions.every((p) => /^\d/.test(p.token.price.usd))).toBe(true);
    expect(body.data.token.symbol).toBe('BTC');
  });
});
