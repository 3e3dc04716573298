/** Starts sandboxes and a gateway on port 0, in-process, for integration tests. */
import { type Logger, pino } from 'pino';
import type { RunningSandbox } from '../../sources/sandbox-kit/types.js';
import { loadConfig } from '../../src/config.js';
import { type SourceName, startSandboxes } from '../../src/gateway/registry.js';
import { type RunningSwitchyard, startSwitchyard } from '../../src/main.js';

export interface TestGateway {
  readonly url: string;
  readonly origin: string;
  readonly sandboxes: Record<SourceName, RunningSandbox>;
  /** POSTs a GraphQL operation as user-1 (development identity) unless headers say otherwise. */
  graphql(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLReply>;
  /** Resets every sandbox's counters and faults. */
  resetSandboxes(): void;
  /** Upstream requests per source since the last reset. */
  calls(): Record<SourceName, number>;
  close(): Promise<void>;
}

export interface GraphQLReply {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  };
}

export interface TestGatewayOptions {
  /** Extra environment for loadConfig. */
  env?: Record<string, string>;
  logger?: Logger;
}

export async function startTestGateway({
  env = {},
  logger = pino({ level: 'silent' }),
}: TestGatewayOptions = {}): Promise<TestGateway> {
  const sandboxes = await startSandboxes();
  const config = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      UPSTREAM_TIMEOUT_MS: '400',
      SHUTDOWN_TIMEOUT: '2000',
      MARKET_URL: sandboxes.market.target,
      SIGNALS_URL: sandboxes.signals.target,
      PORTFOLIO_ADDR: sandboxes.portfolio.target,
      TRADING_ADDR: sandboxes.trading.target,
      ...env,
    },
    false,
  );
  let running: RunningSwitchyard;
  try {
    running = await startSwitchyard(config, logger);
  } catch (err) {
    await Promise.all(Object.values(sandboxes).map((s) => s.close()));
    throw err;
  }
  const origin = new URL(running.url).origin;
  return {
    url: running.url,
    origin,
    sandboxes,
    async graphql(query, variables, headers = { 'x-switchyard-dev-user': 'user-1' }) {
      const response = await fetch(running.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as GraphQLReply['body'],
      };
    },
    resetSandboxes() {
      for (const sandbox of Object.values(sandboxes)) sandbox.control.reset();
    },
    calls() {
      return Object.fromEntries(
        Object.entries(sandboxes).map(([name, sandbox]) => [name, sandbox.control.stats.total]),
      ) as Record<SourceName, number>;
    },
    async close() {
      await running.close();
      await Promise.all(Object.values(sandboxes).map((s) => s.close()));
    },
  };
}
