/**
 * The exchange source: users' own exchange accounts, linked with their exchange API keys, which the
 * gateway keeps in custody (custody.ts) and uses only to read balances.
 */
import { readFileSync } from 'node:fs';
import {
  httpSource,
  type Source,
  type SourceDefinition,
  type SourceSetup,
  TOKEN_REFERENCE,
} from '../../src/gateway/source.js';
import type { HttpUpstream } from '../../src/upstream/http.js';
import { createExchangeClient } from './client.js';
import { createCustody, rewrapLinkedAccounts } from './custody.js';
import { createExchangeLoaders, type ExchangeLoaders } from './loaders.js';
import { exchangeResolvers } from './resolvers.js';
import { createMemoryLinkedAccountStore, createPostgresLinkedAccountStore } from './store.js';
import { exchangeSettings } from './types.js';

export { createCustody } from './custody.js';
export type { ExchangeLoaders } from './loaders.js';
export { createMemoryLinkedAccountStore, createPostgresLinkedAccountStore } from './store.js';

/** The source's SDL and resolvers, available without connecting (schema artifacts, checks). */
export const exchangeDefinition = {
  name: 'exchange',
  typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
  resolvers: exchangeResolvers,
} as const satisfies SourceDefinition;

/** Builds the source: it needs the gateway's vault (keyring, system of record, audit trail). */
export function createExchangeSource(
  upstream: HttpUpstream,
  { vault, settings }: SourceSetup = {},
): Source<'exchange', ExchangeLoaders> {
  if (!vault)
    throw new Error(
      "the exchange source keeps users' keys: it needs the gateway's vault (SourceSetup.vault)",
    );
  const client = createExchangeClient(upstream);
  const store = vault.database
    ? createPostgresLinkedAccountStore(vault.database)
    : createMemoryLinkedAccountStore();
  const custody = createCustody({
    client,
    store,
    envelopes: vault.envelopes,
    audit: vault.audit,
    settings: exchangeSettings.parse(settings ?? {}),
    now: vault.now,
  });
  return {
    ...exchangeDefinition,
    createLoaders: (scope) => createExchangeLoaders(client, store, custody, scope, vault.now),
    ping: (signal) => client.ping(signal),
  };
}

/** The exchange source as the gateway plugs it in (sources/index.ts). */
export const exchangeSource = httpSource({
  definition: exchangeDefinition,
  variable: 'EXCHANGE_URL',
  defaultPort: 7005,
  create: createExchangeSource,
  settings: exchangeSettings,
  codegen: {
    context: '../resolvers.js#ExchangeContext',
    mappers: {
      ExchangeAccount: '../resolvers.js#ExchangeAccountModel',
      ExchangeBalance: '../resolvers.js#ExchangeBalanceModel',
      Token: TOKEN_REFERENCE,
    },
  },
  sandboxScript: 'sources/exchange/sandbox/main.ts',
  // Memory links live inside one gateway process: only PostgreSQL's can be re-wrapped from outside.
  rewrapSecrets: async (vault) =>
    vault.database
      ? rewrapLinkedAccounts(createPostgresLinkedAccountStore(vault.database), vault.envelopes)
      : { rewrapped: 0, current: 0, failed: [] },
  loadSandbox: async () => (await import('./sandbox/server.js')).startExchangeSandbox,
});
