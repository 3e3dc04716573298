/**
 * Builds the Yoga server: the stitched schema, the per-request context and the envelop plugins in
 * the order DESIGN.md fixes. It does not listen: src/main.ts does.
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createContextFactory, type GatewayContext } from './gateway/context.js';
import { exampleHeaders, exampleQuery } from './gateway/example.js';
import { maskError } from './gateway/mask-error.js';
import type { ConnectedSources } from './gateway/registry.js';
import { buildGatewaySchema } from './gateway/schema.js';
import { useAccessLog } from './plugins/use-access-log.js';
import { useBodyLimit } from './plugins/use-body-limit.js';
import { type ReadinessCheck, useReadiness } from './plugins/use-readiness.js';
import { useRequestId } from './plugins/use-request-id.js';

export interface GatewayOptions {
  config: Pick<Config, 'production' | 'graphiql' | 'devIdentity'>;
  logger: Logger;
  sources: ConnectedSources;
  /** Extra readiness checks (Redis), beside one per source. */
  readinessChecks?: Record<string, ReadinessCheck>;
  /** Set to true when the process is draining: /readyz then answers 503 at once. */
  isDraining?: () => boolean;
}

export type Gateway = YogaServerInstance<Record<string, never>, GatewayContext>;

/** Creates the gateway's request handler (a Yoga instance usable as a node:http listener). */
export function createGateway({
  config,
  logger,
  sources,
  readinessChecks = {},
  isDraining = () => false,
}: GatewayOptions): Gateway {
  const schema = buildGatewaySchema(Object.values(sources).map((connected) => connected.source));
  const sourceChecks = Object.fromEntries(
    Object.values(sources).map(
      ({ source }) => [source.name, (signal: AbortSignal) => source.ping(signal)] as const,
    ),
  );
  const log = logger.child({ component: 'yoga' });
  return createYoga<Record<string, never>, GatewayContext>({
    schema,
    context: createContextFactory({ sources, logger, devIdentity: config.devIdentity }),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    // Replaced by useBodyLimit: same protection without streaming every body through a pipeline.
    maxRequestBodySize: false,
    graphiql: config.graphiql
      ? { title: 'Switchyard', defaultQuery: exampleQuery, headers: exampleHeaders(config) }
      : false,
    maskedErrors: { maskError },
    logging: {
      debug: (...args) => log.debug({ args }, 'yoga'),
      info: (...args) => log.info({ args }, 'yoga'),
      warn: (...args) => log.warn({ args }, 'yoga'),
      error: (err, ...args) => log.error({ err, args }, 'unexpected error'),
    },
    plugins: [
      useRequestId(),
      useAccessLog({ logger }),
      useBodyLimit(),
      useReadiness({ checks: { ...sourceChecks, ...readinessChecks }, isDraining }),
      useGraphQlJit(),
    ],
  });
}
