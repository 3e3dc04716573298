/**
 * Proof that a source is a plug-in: a gateway built from a list holding a fixture source kept
 * entirely in this folder (SDL, client, loader, resolvers, sandbox) serves its field merged into
 * market's Token, reads its variable, and starts its sandbox in demo mode.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sources } from '../../sources/index.js';
import { loadConfig } from '../../src/config.js';
import { type RunningSwitchyard, startSwitchyard } from '../../src/main.js';
import { newsSource } from './index.js';

const list = [...sources, newsSource] as const;

describe('a source plugged in as data', () => {
  let running: RunningSwitchyard;
  beforeAll(async () => {
    const config = loadConfig(
      { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', RESPONSE_CACHE: 'false' },
      false,
      {
        sources: list,
      },
    );
    running = await startSwitchyard(config, pino({ level: 'silent' }), { sources: list });
  });
  afterAll(() => running.close());

  const query = async (document: string) => {
    const response = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: document }),
    });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: unknown } };
  };

  it('answers its field merged with market and signals on Token, one upstream call per source', async () => {
    const reply = await query(
      '{ tokens(ids: ["bitcoin", "ethereum"]) { symbol signal { rating } headlines { title } } }',
    );
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
    const tokens = (reply.body.data as { tokens: { symbol: string; headlines: { title: string }[] }[] })
      .tokens;
    expect(tokens.map((t) => t.symbol)).toEqual(['BTC', 'ETH']);
    expect(tokens[1]!.headlines).toEqual([{ title: 'ethereum rallies' }, { title: 'ethereum explained' }]);
    expect(running.sandboxes?.news?.control.stats.byRoute['GET /v1/headlines']).toBe(1);
  });

  it('reads its variable like every other source: all set, or none (demo)', () => {
    const others = {
      MARKET_URL: 'http://market:7001',
      SIGNALS_URL: 'http://signals:7002',
      PORTFOLIO_ADDR: 'portfolio:7003',
      TRADING_ADDR: 'trading:7004',
      EXCHANGE_URL: 'http://exchange:7005',
    };
    expect(() => loadConfig(others, false, { sources: list })).toThrow(/NEWS_URL: must be set too/);
    expect(() => loadConfig({ ...others, NEWS_URL: 'news:7099' }, false, { sources: list })).toThrow(
      /NEWS_URL: must be an http\(s\) URL/,
    );
    const config = loadConfig({ ...others, NEWS_URL: 'http://news:7099' }, false, { sources: list });
    expect(config.upstreams).toMatchObject({ mode: 'remote', targets: { news: 'http://news:7099' } });
  });
});
