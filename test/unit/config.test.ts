import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const remote = {
  MARKET_URL: 'http://market:8080',
  SIGNALS_URL: 'http://signals:8080',
  PORTFOLIO_ADDR: 'portfolio:50051',
  TRADING_ADDR: 'trading:50051',
};

describe('loadConfig', () => {
  it('starts in demo mode on port 4000 with nothing set', () => {
    const config = loadConfig({}, false);
    expect(config).toMatchObject({
      port: 4000,
      upstreams: { mode: 'demo' },
      production: false,
      graphiql: true,
      devIdentity: true,
    });
  });

  it('talks to real upstreams when all four are set', () => {
    expect(loadConfig(remote, false).upstreams).toEqual({
      mode: 'remote',
      market: remote.MARKET_URL,
      signals: remote.SIGNALS_URL,
      portfolio: remote.PORTFOLIO_ADDR,
      trading: remote.TRADING_ADDR,
    });
  });

  it('names the missing upstream variables when only some are set', () => {
    expect(() => loadConfig({ MARKET_URL: remote.MARKET_URL }, false)).toThrow(
      /SIGNALS_URL, PORTFOLIO_ADDR, TRADING_ADDR/,
    );
  });

  it.each([
    ['PORT', 'eighty'],
    ['MARKET_URL', 'ftp://market'],
    ['PORTFOLIO_ADDR', 'http://portfolio:50051'],
    ['REDIS_URL', 'localhost:6379'],
    ['LOG_LEVEL', 'loud'],
    ['GRAPHIQL', 'maybe'],
  ])('fails naming %s when it is %s', (name, value) => {
    const run = () => loadConfig({ ...remote, [name]: value }, false);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(new RegExp(`${name}:`));
  });

  it('turns GraphiQL and the development identity off in production unless asked for', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, false)).toMatchObject({
      graphiql: false,
      devIdentity: false,
      production: true,
    });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHIQL: 'true' }, false).graphiql).toBe(true);
  });
});
