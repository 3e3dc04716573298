/**
 * A whole source in one folder, plugged in as data: its SDL, a client over the gateway's HTTP
 * upstream, one batched loader, resolvers that extend market's `Token`, and its sandbox. Nothing
 * outside this folder knows it exists; test/fixture-source/source.test.ts adds it to a list.
 */
import { readFileSync } from 'node:fs';
import DataLoader from 'dataloader';
import { httpSource, type RequestScope } from '../../src/gateway/source.js';
import { createUpstreamCalls } from '../../src/upstream/call.js';
import type { HttpUpstream } from '../../src/upstream/http.js';

interface Headline {
  tokenId: string;
  title: string;
  source: string;
}

interface NewsLoaders {
  readonly headlines: DataLoader<string, Headline[]>;
}

function createNewsLoaders(upstream: HttpUpstream, scope: RequestScope): NewsLoaders {
  // The upstream call contract: the request's signal, id and telemetry; failures as client errors.
  const calls = createUpstreamCalls(scope);
  return {
    headlines: new DataLoader(async (ids) => {
      const { data } = await calls.run((options) =>
        upstream.getJson<{ data: Headline[] }>(
          `/v1/headlines?tokenIds=${ids.map(encodeURIComponent).join(',')}`,
          {
            ...options,
            route: '/v1/headlines',
          },
        ),
      );
      return ids.map((id) => data.filter((headline) => headline.tokenId === id));
    }),
  };
}

const definition = {
  name: 'news',
  typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
  resolvers: {
    Token: {
      headlines: (token: { id: string }, _args: unknown, context: { news: NewsLoaders }) =>
        context.news.headlines.load(token.id),
    },
  },
} as const;

export const newsSource = httpSource({
  definition,
  variable: 'NEWS_URL',
  defaultPort: 7099,
  create: (upstream) => ({
    ...definition,
    createLoaders: (scope) => createNewsLoaders(upstream, scope),
    ping: async (signal) => {
      await upstream.getJson('/healthz', { signal, route: '/healthz' });
    },
  }),
  codegen: { context: 'unused', mappers: {} },
  sandboxScript: 'test/fixture-source/sandbox.ts',
  loadSandbox: async () => (await import('./sandbox.js')).startNewsSandbox,
});
