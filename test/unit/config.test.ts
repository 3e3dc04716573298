import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretVariables } from '../../src/config.js';

const KEY = Buffer.alloc(32, 1).toString('base64');

const remote = {
  MARKET_URL: 'http://market:8080',
  SIGNALS_URL: 'http://signals:8080',
  PORTFOLIO_ADDR: 'portfolio:50051',
  TRADING_ADDR: 'trading:50051',
  EXCHANGE_URL: 'http://exchange:7005',
};

/** A production environment that loads: real upstreams, a master key and PostgreSQL. */
const production = {
  ...remote,
  NODE_ENV: 'production',
  KEYS_ENCRYPTION_KEY: KEY,
  DATABASE_URL: 'postgres://switchyard:s3cret@db:5432/switchyard',
};

describe('loadConfig', () => {
  it('starts in demo mode on port 4000 with nothing set', () => {
    const config = loadConfig({}, false);
    expect(config).toMatchObject({
      port: 4000,
      upstreams: { mode: 'demo' },
      production: false,
      graphiql: true,
      apiKeyEnvironment: 'test',
      jwt: null,
    });
  });

  it('talks to real upstreams when all five are set', () => {
    expect(loadConfig(remote, false).upstreams).toEqual({
      mode: 'remote',
      targets: {
        market: remote.MARKET_URL,
        signals: remote.SIGNALS_URL,
        portfolio: remote.PORTFOLIO_ADDR,
        trading: remote.TRADING_ADDR,
        exchange: remote.EXCHANGE_URL,
      },
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
    ['DATABASE_URL', 'mysql://db:3306/switchyard'],
    ['LOG_LEVEL', 'loud'],
    ['GRAPHIQL', 'maybe'],
  ])('fails naming %s when it is %s', (name, value) => {
    const run = () => loadConfig({ ...remote, [name]: value }, false);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(new RegExp(`${name}:`));
  });

  it('turns GraphiQL off and expects live keys in production', () => {
    expect(loadConfig({ ...production }, false)).toMatchObject({
      graphiql: false,
      apiKeyEnvironment: 'live',
      production: true,
    });
    expect(loadConfig({ ...production, GRAPHIQL: 'true' }, false).graphiql).toBe(true);
  });

  it('refuses demo mode in production, naming every missing upstream variable', () => {
    const run = () => loadConfig({ NODE_ENV: 'production', KEYS_ENCRYPTION_KEY: KEY }, false);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(
      /MARKET_URL, SIGNALS_URL, PORTFOLIO_ADDR, TRADING_ADDR, EXCHANGE_URL: required in production \(demo mode/,
    );
    expect(loadConfig({ NODE_ENV: 'development' }, false).upstreams).toEqual({ mode: 'demo' });
    expect(loadConfig({ NODE_ENV: 'test' }, false).upstreams).toEqual({ mode: 'demo' });
    // A tool that never calls an upstream (the keys CLI) is not asked for them.
    expect(
      loadConfig({ NODE_ENV: 'production', KEYS_ENCRYPTION_KEY: KEY }, false, { needsUpstreams: false })
        .production,
    ).toBe(true);
  });

  it('lists every problem of a production environment at once', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, false)).toThrow(
      /EXCHANGE_URL: required in production[\s\S]*KEYS_ENCRYPTION_KEYS \(or KEYS_ENCRYPTION_KEY\): required/,
    );
  });

  it.each(['prod', 'staging', 'Production', 'dev'])('refuses NODE_ENV=%s, naming NODE_ENV', (value) => {
    const run = () => loadConfig({ NODE_ENV: value }, false);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(`NODE_ENV: must be development, test or production (got "${value}")`);
  });

  it('reads METRICS_PORT as a port of its own', () => {
    expect(loadConfig({}, false).metricsPort).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: '9464' }, false).metricsPort).toBe(9464);
    expect(loadConfig({ PORT: '0', METRICS_PORT: '0' }, false).metricsPort).toBe(0);
    expect(() => loadConfig({ METRICS_PORT: 'ninety' }, false)).toThrow(
      /METRICS_PORT: must be a port number/,
    );
    expect(() => loadConfig({ METRICS_PORT: '70000' }, false)).toThrow(/METRICS_PORT:/);
    expect(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' }, false)).toThrow(
      /METRICS_PORT: must differ from PORT \(4000\)/,
    );
  });

  it('allows loopback origins outside production and none in production unless CORS_ORIGINS says', () => {
    expect(loadConfig({}, false).corsOrigins).toBe('loopback');
    expect(loadConfig({ ...production }, false).corsOrigins).toEqual([]);
    expect(loadConfig({ ...production, CORS_ORIGINS: '*' }, false).corsOrigins).toBe('*');
    expect(
      loadConfig(
        {
          ...production,
          CORS_ORIGINS: 'https://app.example.com, https://Admin.Example.com:443,http://localhost:5173/',
        },
        false,
      ).corsOrigins,
    ).toEqual(['https://app.example.com', 'https://admin.example.com', 'http://localhost:5173']);
  });

  it.each([
    ['a path', 'https://app.example.com/app'],
    ['a wildcard host', 'https://*.example.com'],
    ['* among origins', 'https://app.example.com,*'],
    ['no scheme', 'app.example.com'],
    ['another scheme', 'ftp://app.example.com'],
    ['the null origin', 'null'],
    ['user info', 'https://user@app.example.com'],
    ['a query', 'https://app.example.com?x=1'],
    ['an empty entry', 'https://app.example.com,'],
  ])('refuses CORS_ORIGINS with %s, naming the variable and the entry', (_, value) => {
    const run = () => loadConfig({ CORS_ORIGINS: value }, false);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/CORS_ORIGINS: ".*" is not an origin/);
  });

  it('requires DATABASE_URL in production, and keeps memory stores without it elsewhere', () => {
    const { DATABASE_URL: _url, ...withoutDatabase } = production;
    const run = () => loadConfig(withoutDatabase, false);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/DATABASE_URL: required in production/);
    expect(loadConfig({ ...production }, false).databaseUrl).toBe(production.DATABASE_URL);
    expect(loadConfig({ ...remote }, false).databaseUrl).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgresql://127.0.0.1/test' }, false).databaseUrl).toBe(
      'postgresql://127.0.0.1/test',
    );
  });

  it('never quotes DATABASE_URL in an error: it may hold a password', () => {
    const run = () => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' }, false);
    expect(run).toThrow(
      /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL \(got a value not shown here\)/,
    );
    expect(run).not.toThrow(/hunter2/);
  });

  it('requires KEYS_ENCRYPTION_KEY in production and with Redis, and checks its size', () => {
    expect(() => loadConfig({ ...remote, NODE_ENV: 'production' }, false)).toThrow(
      /KEYS_ENCRYPTION_KEYS \(or KEYS_ENCRYPTION_KEY\): required/,
    );
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, false)).toThrow(
      /KEYS_ENCRYPTION_KEYS \(or KEYS_ENCRYPTION_KEY\): required/,
    );
    expect(() => loadConfig({ KEYS_ENCRYPTION_KEY: 'c2hvcnQ=' }, false)).toThrow(
      /KEYS_ENCRYPTION_KEY: must be 32 bytes/,
    );
    expect(loadConfig({}, false).keyring.ephemeral).toBe(true);
  });

  it('reads KEYS_ENCRYPTION_KEYS as a versioned ring, the first active, and never quotes a key', () => {
    const k1 = Buffer.alloc(32, 1).toString('base64');
    const k2 = Buffer.alloc(32, 2).toString('hex');
    const ring = loadConfig({ KEYS_ENCRYPTION_KEYS: `v2:${k2},v1:${k1}` }, false).keyring;
    expect(ring.ephemeral).toBe(false);
    expect(ring.versions.map((v) => v.version)).toEqual(['v2', 'v1']);
    expect(ring.versions[0]!.secret.equals(Buffer.alloc(32, 2))).toBe(true);
    // KEYS_ENCRYPTION_KEY is the one-key ring v1.
    const single = loadConfig({ KEYS_ENCRYPTION_KEY: k1 }, false).keyring.versions;
    expect(single.map((v) => v.version)).toEqual(['v1']);
    for (const [value, message] of [
      [`v2:${k2},v2:${k1}`, /version v2 appears twice/],
      [`v2:${k2},${k1}`, /entry 2: must be version:key/],
      ['v2:c2hvcnQ=', /entry 1 \(v2\): must be 32 bytes/],
      ['', /./],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ KEYS_ENCRYPTION_KEYS: value || ',' }, false);
      } catch (err) {
        error = err;
      }
      expect(String(error)).toMatch(message);
      expect(String(error)).not.toContain(k1);
      expect(String(error)).not.toContain(k2);
    }
    expect(() => loadConfig({ KEYS_ENCRYPTION_KEY: k1, KEYS_ENCRYPTION_KEYS: `v2:${k2}` }, false)).toThrow(
      /KEYS_ENCRYPTION_KEY, KEYS_ENCRYPTION_KEYS: set one, not both/,
    );
    // Either satisfies production's and Redis's requirement.
    expect(() =>
      loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', KEYS_ENCRYPTION_KEYS: `v2:${k2}` }, false),
    ).not.toThrow();
  });

  it('requires issuer and audience with a JWKS, and one JWKS source only', () => {
    expect(() => loadConfig({ JWT_JWKS_URL: 'https://idp.example/jwks' }, false)).toThrow(
      /JWT_ISSUER, JWT_AUDIENCE: missing/,
    );
    expect(() =>
      loadConfig(
        { JWT_JWKS_URL: 'https://idp.example/jwks', JWT_JWKS_FILE: '/x', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' },
        false,
      ),
    ).toThrow(/set one, not both/);
    expect(
      loadConfig({ JWT_JWKS_FILE: '/etc/jwks.json', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, false).jwt,
    ).toEqual({
      jwks: { file: '/etc/jwks.json' },
      issuer: 'i',
      audience: 'a',
    });
  });

  it('reads Redis behind Sentinel, and refuses it mixed with REDIS_URL, without a name, or malformed', () => {
    const key = { KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };
    const config = loadConfig(
      { ...key, REDIS_SENTINELS: 's1:26379,[::1]:26380', REDIS_SENTINEL_NAME: 'mymaster' },
      false,
    );
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisSentinel).toEqual({
      name: 'mymaster',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    });
    for (const [env, message] of [
      [
        { REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm' },
        'REDIS_URL, REDIS_SENTINELS: set one, not both',
      ],
      [{ REDIS_SENTINELS: 's1:26379' }, 'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS'],
      [{ REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINEL_NAME: only with REDIS_SENTINELS'],
      [{ REDIS_SENTINELS: 's1:26379,b', REDIS_SENTINEL_NAME: 'm' }, '"b" is not host:port'],
      [{ REDIS_SENTINELS: 'c:99999', REDIS_SENTINEL_NAME: 'm' }, 'the port must be 1-65535'],
    ] as const) {
      expect(() => loadConfig({ ...key, ...env }, false), JSON.stringify(env)).toThrow(message);
    }
  });

  it('reads a Redis Cluster, refuses it beside another way to Redis or malformed, and asks it for the encryption key', () => {
    const key = { KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };
    const config = loadConfig({ ...key, REDIS_CLUSTER_NODES: 'r1:6379, r2:7000,[::1]:7001' }, false);
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisSentinel).toBeUndefined();
    expect(config.redisCluster).toEqual({
      nodes: [
        { host: 'r1', port: 6379 },
        { host: 'r2', port: 7000 },
        { host: '::1', port: 7001 },
      ],
    });
    for (const [env, message] of [
      [
        { REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r1:6379' },
        'REDIS_URL, REDIS_CLUSTER_NODES: set one, not both',
      ],
      [
        { REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'r1:6379' },
        'REDIS_SENTINELS, REDIS_CLUSTER_NODES: set one, not both',
      ],
      [
        {
          REDIS_URL: 'redis://r:6379',
          REDIS_SENTINELS: 's1:26379',
          REDIS_SENTINEL_NAME: 'm',
          REDIS_CLUSTER_NODES: 'r1:6379',
        },
        'REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES: set one, not several',
      ],
      [
        { REDIS_CLUSTER_NODES: 'r1:6379,redis://r2:6379' },
        'REDIS_CLUSTER_NODES: "redis://r2:6379" is not host:port',
      ],
      [{ REDIS_CLUSTER_NODES: 'r1:6379,r2' }, 'list the cluster nodes as host:port'],
      [{ REDIS_CLUSTER_NODES: 'r1:0' }, 'REDIS_CLUSTER_NODES: "r1:0": the port must be 1-65535'],
    ] as const) {
      expect(() => loadConfig({ ...key, ...env }, false), JSON.stringify(env)).toThrow(message);
    }
    // Every instance on the cluster must hash keys alike.
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'r1:6379' }, false)).toThrow(
      /KEYS_ENCRYPTION_KEYS \(or KEYS_ENCRYPTION_KEY\): required[^\n]*REDIS_CLUSTER_NODES/,
    );
  });

  it('reads Redis credentials for Sentinel and a Cluster, and refuses them with REDIS_URL, alone, or half', () => {
    const key = { KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };
    const sentinels = { REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'mymaster' };
    expect(
      loadConfig(
        {
          ...key,
          ...sentinels,
          REDIS_USERNAME: 'gateway',
          REDIS_PASSWORD: 'node-pw',
          REDIS_SENTINEL_USERNAME: 'watcher',
          REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
        },
        false,
      ).redisSentinel,
    ).toStrictEqual({
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'mymaster',
      username: 'gateway',
      password: 'node-pw',
      sentinelUsername: 'watcher',
      sentinelPassword: 'sentinel-pw',
    });
    // Unset (or empty) credentials are absent, not undefined: ioredis then sends no AUTH.
    expect(
      loadConfig({ ...key, ...sentinels, REDIS_PASSWORD: 'node-pw', REDIS_USERNAME: '' }, false)
        .redisSentinel,
    ).toStrictEqual({ sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster', password: 'node-pw' });
    expect(
      loadConfig(
        { ...key, REDIS_CLUSTER_NODES: 'r1:6379', REDIS_USERNAME: 'gateway', REDIS_PASSWORD: 'pw' },
        false,
      ).redisCluster,
    ).toStrictEqual({ nodes: [{ host: 'r1', port: 6379 }], username: 'gateway', password: 'pw' });
    expect(loadConfig({ ...key, REDIS_CLUSTER_NODES: 'r1:6379' }, false).redisCluster).toStrictEqual({
      nodes: [{ host: 'r1', port: 6379 }],
    });

    for (const [env, message] of [
      [
        { REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'pw' },
        'REDIS_PASSWORD: not with REDIS_URL — put the credentials in the URL, such as redis://user:password@redis:6379',
      ],
      [
        { REDIS_URL: 'redis://r:6379', REDIS_USERNAME: 'u', REDIS_SENTINEL_PASSWORD: 'pw' },
        'REDIS_USERNAME, REDIS_SENTINEL_PASSWORD: not with REDIS_URL',
      ],
      [{ REDIS_PASSWORD: 'pw' }, 'REDIS_PASSWORD: only with REDIS_SENTINELS or REDIS_CLUSTER_NODES'],
      [
        { REDIS_CLUSTER_NODES: 'r1:6379', REDIS_SENTINEL_USERNAME: 'w', REDIS_SENTINEL_PASSWORD: 'pw' },
        'REDIS_SENTINEL_USERNAME, REDIS_SENTINEL_PASSWORD: only with REDIS_SENTINELS',
      ],
      [
        { ...sentinels, REDIS_USERNAME: 'gateway' },
        "REDIS_USERNAME: needs REDIS_PASSWORD (the ACL user's password)",
      ],
      [
        { ...sentinels, REDIS_SENTINEL_USERNAME: 'watcher' },
        'REDIS_SENTINEL_USERNAME: needs REDIS_SENTINEL_PASSWORD',
      ],
      [
        { ...sentinels, REDIS_USERNAME: 'two words', REDIS_PASSWORD: 'pw' },
        'REDIS_USERNAME: must be a Redis ACL user name',
      ],
    ] as const) {
      expect(() => loadConfig({ ...key, ...env }, false), JSON.stringify(env)).toThrow(message);
    }
  });

  it('never quotes a Redis password in an error, and refuses one with a trailing newline or spaces', () => {
    const key = { KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };
    const sentinels = { REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'mymaster' };
    const failure = (env: Record<string, string>) => {
      try {
        loadConfig({ ...key, ...env }, false);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error(`loaded ${JSON.stringify(env)}`);
    };
    const malformed = failure({
      ...sentinels,
      REDIS_PASSWORD: 'echoed-node-pw\n',
      REDIS_SENTINEL_PASSWORD: ' spaced-sentinel-pw',
    });
    expect(malformed).toContain(
      'REDIS_PASSWORD: must not start or end with spaces or a line break (a Secret written with echo keeps its newline) (got a value not shown here)',
    );
    expect(malformed).toContain('REDIS_SENTINEL_PASSWORD: must not start or end with spaces');
    expect(malformed).not.toMatch(/echoed-node-pw|spaced-sentinel-pw/);
    const misplaced = failure({ REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'misplaced-pw' });
    expect(misplaced).toContain('REDIS_PASSWORD: not with REDIS_URL');
    expect(misplaced).not.toContain('misplaced-pw');
    // Deployments take them from their secret store (k8s:check); the user names are not secret.
    expect(secretVariables).toEqual(expect.arrayContaining(['REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD']));
    expect(secretVariables).not.toContain('REDIS_USERNAME');
    expect(secretVariables).not.toContain('REDIS_SENTINEL_USERNAME');
  });

  it('refuses any incomplete JWT configuration, naming what is missing', () => {
    const cases: [Record<string, string>, string][] = [
      [{ JWT_ISSUER: 'https://idp.example/' }, 'JWT_JWKS_URL or JWT_JWKS_FILE, JWT_AUDIENCE: missing'],
      [{ JWT_AUDIENCE: 'switchyard-api' }, 'JWT_JWKS_URL or JWT_JWKS_FILE, JWT_ISSUER: missing'],
      [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, 'JWT_JWKS_URL or JWT_JWKS_FILE: missing'],
      [{ JWT_JWKS_FILE: '/etc/jwks.json', JWT_ISSUER: 'i' }, 'JWT_AUDIENCE: missing'],
      [{ JWT_JWKS_URL: 'https://idp.example/jwks', JWT_AUDIENCE: 'a' }, 'JWT_ISSUER: missing'],
    ];
    for (const [env, missing] of cases) {
      const message = (() => {
        try {
          loadConfig(env, false);
          return 'loaded';
        } catch (err) {
          return (err as Error).message;
        }
      })();
      expect(message, JSON.stringify(env)).toContain(`  ${missing} —`);
      expect(message).toMatch(/set all three to accept bearer tokens, or none/);
    }
    expect(loadConfig({}, false).jwt).toBeNull();
  });

  it('refuses RATE_LIMIT_PLANS without free, or with a multiplier that is not a positive number', () => {
    expect(loadConfig({ RATE_LIMIT_PLANS: 'free=0.5,pro=2' }, false).rateLimitPlans).toEqual({
      free: 0.5,
      pro: 2,
    });
    expect(() => loadConfig({ RATE_LIMIT_PLANS: 'free=0' }, false)).toThrow(
      /RATE_LIMIT_PLANS: free=0: a multiplier must be greater than 0 \(0 would refuse every request of the plan\)/,
    );
    expect(() => loadConfig({ RATE_LIMIT_PLANS: 'free=1,pro=0.0' }, false)).toThrow(
      /pro=0\.0: a multiplier must be greater than 0/,
    );
    expect(() => loadConfig({ RATE_LIMIT_PLANS: 'free=-1' }, false)).toThrow(
      /RATE_LIMIT_PLANS: free=-1: a multiplier must be a positive number such as 1, 10 or 0\.5/,
    );
    expect(() => loadConfig({ RATE_LIMIT_PLANS: 'free=lots' }, false)).toThrow(
      /RATE_LIMIT_PLANS: free=lots: a multiplier must be a positive number/,
    );
    expect(() => loadConfig({ RATE_LIMIT_PLANS: 'pro=10,enterprise=100' }, false)).toThrow(
      /RATE_LIMIT_PLANS: must include free \(the plan of keys and tokens that name none\)/,
    );
    expect(() => loadConfig({ RATE_LIMIT_PLANS: 'free=1,free=2' }, false)).toThrow(
      /RATE_LIMIT_PLANS: free is set twice/,
    );
  });

  it('reads PERSISTED_OPERATIONS, automatic unless required, and names it when wrong', () => {
    expect(loadConfig({}, false).persistedOperations).toBe('automatic');
    expect(loadConfig({ PERSISTED_OPERATIONS: 'required' }, false).persistedOperations).toBe('required');
    expect(() => loadConfig({ PERSISTED_OPERATIONS: 'strict' }, false)).toThrow(
      /PERSISTED_OPERATIONS: must be automatic .* or required .*\(got "strict"\)/,
    );
  });

  it('reads TRUST_PROXY as a number of trusted proxies', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }, false).trustedProxyHops).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }, false).trustedProxyHops).toBe(2);
    expect(loadConfig({}, false).trustedProxyHops).toBe(0);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' }, false)).toThrow(/TRUST_PROXY:/);
  });

  it('drains for 5 s by default in production (at most half of SHUTDOWN_TIMEOUT), not at all elsewhere', () => {
    const prod = { ...production, DATABASE_URL: 'postgres://switchyard@db:5432/switchyard' };
    expect(loadConfig(prod, false).shutdownDelayMs).toBe(5_000);
    expect(loadConfig({ ...prod, SHUTDOWN_TIMEOUT: '6000' }, false).shutdownDelayMs).toBe(3_000);
    expect(loadConfig({ ...prod, SHUTDOWN_DELAY: '0' }, false).shutdownDelayMs).toBe(0);
    expect(loadConfig({}, false).shutdownDelayMs).toBe(0);
    expect(loadConfig({ SHUTDOWN_DELAY: '2000' }, false).shutdownDelayMs).toBe(2_000);
    expect(() => loadConfig({ SHUTDOWN_DELAY: '30000' }, false)).toThrow(
      /SHUTDOWN_DELAY: must be less than SHUTDOWN_TIMEOUT \(25000 ms\)/,
    );
  });

  it('bounds headers, whole requests and connections, headers within the request', () => {
    expect(loadConfig({}, false)).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      maxConnections: 10_000,
    });
    expect(
      loadConfig({ HEADERS_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '5000', MAX_CONNECTIONS: '100' }, false),
    ).toMatchObject({ headersTimeoutMs: 2_000, requestTimeoutMs: 5_000, maxConnections: 100 });
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '5000' }, false)).toThrow(
      /HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS \(5000 ms\)/,
    );
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: 'soon' }, false)).toThrow(/REQUEST_TIMEOUT_MS:/);
    expect(() => loadConfig({ MAX_CONNECTIONS: '0' }, false)).toThrow(/MAX_CONNECTIONS:/);
  });
});
