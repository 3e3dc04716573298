/**
 * Builds the Yoga server: the stitched schema, the per-request context and the envelop plugins in
 * the order DESIGN.md fixes. It does not listen: src/main.ts does.
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Tracer } from '@opentelemetry/api';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticate.js';
import type { Config } from './config.js';
import { createContextFactory, type GatewayContext } from './gateway/context.js';
import { exampleQuery } from './gateway/example.js';
import { maskError } from './gateway/mask-error.js';
import type { ConnectedSources } from './gateway/registry.js';
import { buildGatewaySchema } from './gateway/schema.js';
import { keysSchemaPart } from './keys/index.js';
import type { KeyService } from './keys/service.js';
import { useAccessLog } from './plugins/use-access-log.js';
import { useBodyLimit } from './plugins/use-body-limit.js';
import { createKeyDeprecationTracker } from './plugins/use-key-deprecation.js';
import { useMetrics } from './plugins/use-metrics.js';
import { useMetricsEndpoint } from './plugins/use-metrics-endpoint.js';
import { type ReadinessCheck, useReadiness } from './plugins/use-readiness.js';
import { useRequestId } from './plugins/use-request-id.js';
import { useRequestTelemetry } from './plugins/use-request-telemetry.js';
import { useSignedMutations } from './plugins/use-signed-mutations.js';
import { useTracing } from './plugins/use-tracing.js';
import type { NonceStore } from './stores/types.js';
import { createMetrics, type GatewayMetrics } from './telemetry/metrics.js';
import { createYogaLogger } from './telemetry/yoga-logger.js';

export interface GatewayOptions {
  config: Pick<
    Config,
    'production' | 'graphiql' | 'metricsToken' | 'signatureMaxAgeSeconds' | 'trustedProxyHops'
  >;
  /** Signature nonces (Redis across instances, memory otherwise). */
  nonces: NonceStore;
  logger: Logger;
  sources: ConnectedSources;
  keys: KeyService;
  authenticate: Authenticator;
  /** GraphiQL's header preset (demo mode: the demo client's API key). */
  graphiqlHeaders?: Record<string, string>;
  /** Extra readiness checks (Redis), beside one per source. */
  readinessChecks?: Record<string, ReadinessCheck>;
  /** Set to true when the process is draining: /readyz then answers 503 at once. */
  isDraining?: () => boolean;
  /**
   * The instance's metrics, shared with its upstreams' observer (main.ts builds both).
   * @default fresh metrics in their own registry
   */
  metrics?: GatewayMetrics;
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
  authenticate,
  graphiqlHeaders = {},
  readinessChecks = {},
  isDraining = () => false,
  metrics = createMetrics(),
  tracer,
}: GatewayOptions): Gateway {
  const schema = buildGatewaySchema([
    ...Object.values(sources).map((connected) => connected.source),
    keysSchemaPart,
  ]);
  const keyDeprecation = createKeyDeprecationTracker();
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
      authenticate,
      onDeprecatedKey: keyDeprecation.mark,
    }),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    // Replaced by useBodyLimit: same protection without streaming every body through a pipeline.
    maxRequestBodySize: false,
    // GraphiQL's assets are bundled, not loaded from a CDN: the page works offline and under a strict CSP.
    renderGraphiQL,
    graphiql: config.graphiql
      ? { title: 'Switchyard', defaultQuery: exampleQuery, headers: JSON.stringify(graphiqlHeaders, null, 2) }
      : false,
    maskedErrors: { maskError },
    logging: createYogaLogger(logger),
    plugins: [
      // First: a request refused by a later onRequest (body limit, readiness) is still recorded.
      useRequestTelemetry(),
      useMetricsEndpoint({ metrics, token: config.metricsToken }),
      ...(tracer ? [useTracing({ tracer })] : []),
      useMetrics({ metrics }),
      useRequestId(),
      useAccessLog({ logger }),
      useBodyLimit(),
      keyDeprecation.plugin,
      useSignedMutations({
        schema,
        keys,
        nonces,
        maxAgeSeconds: config.signatureMaxAgeSeconds,
        trustedProxyHops: config.trustedProxyHops,
      }),
      useReadiness({ checks: { ...sourceChecks, ...readinessChecks }, isDraining }),
      useGraphQlJit(),
    ],
  });
}
