/**
 * Builds the Yoga server: the stitched schema, the per-request context and the envelop plugins in
 * the order DESIGN.md fixes. It does not listen: src/main.ts does.
 */
import type { Tracer } from '@opentelemetry/api';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticate.js';
import type { Config } from './config.js';
import { type ClientOperation, loadClientOperations } from './gateway/client-operations.js';
import { createContextFactory, type GatewayContext } from './gateway/context.js';
import { createCorsPolicy } from './gateway/cors.js';
import { exampleQuery } from './gateway/example.js';
import { maskError } from './gateway/mask-error.js';
import { createOperationAnalyzer } from './gateway/operation-analysis.js';
import { createOperationCostEstimator } from './gateway/operation-cost.js';
import type { ConnectedSources } from './gateway/registry.js';
import { buildGatewaySchema } from './gateway/schema.js';
import { keysSchemaPart } from './keys/index.js';
import type { KeyService } from './keys/service.js';
import type { ApiKeyRecord } from './keys/types.js';
import { useAccessLog } from './plugins/use-access-log.js';
import { createAuthenticationPlugin } from './plugins/use-authentication.js';
import { useBodyLimit } from './plugins/use-body-limit.js';
import { useCompiledExecution } from './plugins/use-compiled-execution.js';
import { useCsrfPrevention } from './plugins/use-csrf-prevention.js';
import { useInputLimits } from './plugins/use-input-limits.js';
import { createKeyDeprecationTracker } from './plugins/use-key-deprecation.js';
import { useMetrics } from './plugins/use-metrics.js';
import { useMetricsEndpoint } from './plugins/use-metrics-endpoint.js';
import { useOperationAnalysis } from './plugins/use-operation-analysis.js';
import { usePersistedOperations } from './plugins/use-persisted-operations.js';
import { useQueryProtection } from './plugins/use-query-protection.js';
import { useRateLimits } from './plugins/use-rate-limits.js';
import { type ReadinessCheck, useReadiness } from './plugins/use-readiness.js';
import { useRequestId } from './plugins/use-request-id.js';
import { useRequestTelemetry } from './plugins/use-request-telemetry.js';
import { useGatewayResponseCache } from './plugins/use-response-cache.js';
import { useRestFace } from './plugins/use-rest-face.js';
import { useSchemaDisclosure } from './plugins/use-schema-disclosure.js';
import { useSignedMutations } from './plugins/use-signed-mutations.js';
import { useSubscriptions } from './plugins/use-subscriptions.js';
import { useTracing } from './plugins/use-tracing.js';
import { createRequestWarnings } from './plugins/use-warnings.js';
import type { NonceStore } from './signing/nonce-store.js';
import type { PersistedOperationStore } from './stores/persisted-operations.js';
import { createMemoryRateLimitStore, type RateLimitStore } from './stores/rate-limit.js';
import type { ResponseCacheStore } from './stores/response-cache.js';
import type { SubscriptionLeaseStore } from './stores/subscription-leases.js';
import type { SubscriptionRegistry } from './streams/subscription-registry.js';
import { createLabelLimiter } from './telemetry/labels.js';
import type { GatewayMetrics } from './telemetry/metrics.js';
import { createYogaLogger } from './telemetry/yoga-logger.js';

export interface GatewayOptions {
  config: Pick<
    Config,
    | 'production'
    | 'graphiql'
    | 'metricsToken'
    | 'metricsPort'
    | 'corsOrigins'
    | 'signatureMaxAgeSeconds'
    | 'trustedProxyHops'
    | 'rateLimitPlans'
    | 'persistedOperations'
    | 'maxSubscriptionsPerClient'
  >;
  /** Signature nonces (Redis across instances, memory otherwise). */
  nonces: NonceStore;
  /** Rate-limit counters: Redis across instances, memory otherwise (src/stores createStores). */
  rateLimitStore: RateLimitStore;
  /** The response cache's store; none: no response cache. */
  responseCache?: ResponseCacheStore | undefined;
  /** Automatic persisted queries' registrations: Redis across instances, memory otherwise. */
  persistedOperationStore: PersistedOperationStore;
  /** This instance's open subscriptions (revocation, expiry and shutdown end them). */
  subscriptions: SubscriptionRegistry;
  /** Concurrent-subscription leases per client: Redis across instances, memory otherwise. */
  subscriptionLeases: SubscriptionLeaseStore;
  /** The persisted-operation allowlist. @default schema/operations, loaded once here */
  clientOperations?: readonly ClientOperation[];
  logger: Logger;
  sources: ConnectedSources;
  keys: KeyService;
  authenticate: Authenticator;
  /** GraphiQL's header preset (demo mode: the demo client's API key). */
  graphiqlHeaders?: Record<string, string>;
  /** Extra readiness checks (Redis), beside one per source. */
  readinessChecks?: Record<string, ReadinessCheck>;
  /** Set to true when the process is draining: /readyz then answers 503 at once. */
  isDraining: () => boolean;
  /** The instance's metrics, shared with its upstreams' observer (main.ts builds both). */
  metrics: GatewayMetrics;
  /** Tracing on: spans per request and GraphQL phase. @default none: tracing off, no cost */
  tracer?: Tracer | undefined;
}

export type Gateway = YogaServerInstance<Record<string, never>, GatewayContext>;

/** Creates the gateway's request handler (a Yoga instance usable as a node:http listener). */
export function createGateway({
  config,
  logger,
  sources,
  keys,
  nonces,
  rateLimitStore,
  responseCache,
  persistedOperationStore,
  subscriptions,
  subscriptionLeases,
  clientOperations = loadClientOperations(),
  authenticate,
  graphiqlHeaders = {},
  readinessChecks = {},
  isDraining,
  metrics,
  tracer,
}: GatewayOptions): Gateway {
  const schema = buildGatewaySchema([
    ...Object.values(sources).map((connected) => connected.source),
    keysSchemaPart,
  ]);
  // Client ids label a few metric families: bounded, like every label taken from requests.
  const clientLabel = createLabelLimiter(500);
  const costs = createOperationCostEstimator();
  // One analysis per operation, shared by every policy that reads the document.
  const analyzer = createOperationAnalyzer(schema);
  const warnings = createRequestWarnings();
  const keyDeprecation = createKeyDeprecationTracker(warnings);
  const authentication = createAuthenticationPlugin({
    authenticate,
    onDeprecatedKey: keyDeprecation.mark,
    onAuthenticated: (principal, inGrace) => {
      if (principal.via !== 'api-key') return;
      metrics.apiKeyRequests.inc({
        client: clientLabel(principal.clientId),
        version: String(principal.keyVersion),
        state: inGrace ? 'grace' : 'active',
      });
    },
    onRefused: (error) => {
      const code = String(
        (error as { extensions?: { code?: string } }).extensions?.code ?? 'INTERNAL_SERVER_ERROR',
      );
      const key = (error as { refusedKey?: ApiKeyRecord }).refusedKey;
      metrics.authFailures.inc({ code, client: key ? clientLabel(key.clientId) : 'unknown' });
      if (key?.supersededBy && code === 'KEY_EXPIRED') {
        metrics.apiKeyRequests.inc({
          client: clientLabel(key.clientId),
          version: String(key.version),
          state: 'expired',
        });
      }
    },
  });
  const sourceChecks = Object.fromEntries(
    Object.values(sources).map(
      ({ source }) => [source.name, (signal: AbortSignal) => source.ping(signal)] as const,
    ),
  );
  return createYoga<Record<string, never>, GatewayContext>({
    schema,
    context: createContextFactory({
      sources,
      logger,
      keys,
      authenticationOf: authentication.authenticationOf,
      warnings,
    }),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    // Replaced by useBodyLimit: same protection without streaming every body through a pipeline.
    maxRequestBodySize: false,
    // GraphiQL's assets are bundled, not loaded from a CDN: the page works offline and under a strict CSP.
    // The bundle (~9 MB of source) is loaded on the first page asked for, never when GraphiQL is off.
    renderGraphiQL: async (options) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    graphiql: config.graphiql
      ? {
          title: 'Switchyard',
          defaultQuery: exampleQuery,
          headers: JSON.stringify(graphiqlHeaders, null, 2),
          // GraphiQL runs subscriptions as GET event streams: the CSRF rule wants this header on a GET.
          additionalHeaders: { 'x-graphql-client': 'graphiql' },
        }
      : false,
    maskedErrors: { maskError },
    // CORS_ORIGINS only, never with credentials (src/gateway/cors.ts); Yoga's default reflects any origin.
    cors: createCorsPolicy(config.corsOrigins),
    logging: createYogaLogger(logger),
    plugins: [
      // First: a request refused by a later onRequest (body limit, readiness) is still recorded.
      useRequestTelemetry(),
      // METRICS_PORT set: its own listener serves /metrics (src/main.ts), this port does not.
      ...(config.metricsPort === undefined
        ? [
            useMetricsEndpoint({
              metrics,
              token: config.metricsToken,
              withoutToken: config.production ? 'refused' : 'open',
            }),
          ]
        : []),
      ...(tracer ? [useTracing({ tracer })] : []),
      useMetrics({ metrics }),
      useRequestId(),
      useAccessLog({ logger }),
      useBodyLimit(),
      useInputLimits(),
      useCsrfPrevention(),
      warnings.plugin,
      keyDeprecation.plugin,
      // Before the document is even parsed: a bad credential is a 401 whatever the document holds.
      authentication.plugin,
      useOperationAnalysis({ analyzer, exposeLimits: !config.production }),
      // Before the signature check: a refused operation consumes no nonce and runs no crypto.
      useQueryProtection({ analyzer, exposeLimits: !config.production, estimator: costs }),
      useSchemaDisclosure({
        analyzer,
        introspectionScope: config.production ? 'schema:introspect' : null,
        hideSuggestions: config.production,
      }),
      usePersistedOperations({
        mode: config.persistedOperations,
        operations: clientOperations,
        store: persistedOperationStore,
        logger,
      }),
      useSignedMutations({
        analyzer,
        keys,
        nonces,
        maxAgeSeconds: config.signatureMaxAgeSeconds,
        onRefused: (code, clientId) =>
          metrics.signatureFailures.inc({ code, client: clientId ? clientLabel(clientId) : 'unknown' }),
        trustedProxyHops: config.trustedProxyHops,
      }),
      // After useSignedMutations: it wraps that plugin's body parser (the signature covers the REST body).
      useRestFace({ persistedOperations: config.persistedOperations }),
      useRateLimits({
        analyzer,
        store: rateLimitStore,
        fallback: createMemoryRateLimitStore(),
        logger,
        plans: config.rateLimitPlans,
        onRefused: (field) => metrics.rateLimitRefusals.inc({ field }),
        onFallback: () => metrics.redisErrors.inc({ kind: 'command' }),
        costs,
      }),
      // Last of the onSubscribe policies: a subscription refused above takes no lease.
      useSubscriptions({
        analyzer,
        registry: subscriptions,
        leases: subscriptionLeases,
        maxPerClient: config.maxSubscriptionsPerClient,
        plans: config.rateLimitPlans,
        metrics: metrics.streams,
        logger,
      }),
      // The compiled executor must be in place before the response cache wraps it.
      useCompiledExecution(),
      ...(responseCache
        ? useGatewayResponseCache({
            cache: responseCache,
            analyzer,
            onLookup: (hit) => metrics.responseCache.inc({ result: hit ? 'hit' : 'miss' }),
          })
        : []),
      useReadiness({ checks: { ...sourceChecks, ...readinessChecks }, isDraining }),
    ],
  });
}
