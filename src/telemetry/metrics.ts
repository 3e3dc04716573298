/**
 * The gateway's Prometheus metrics: one prom-client Registry per gateway instance (never the global
 * default, so several instances in one process stay apart), every family named `switchyard_…`, and
 * every label value bounded — operation names are capped, codes come from the catalogue, sources and
 * routes from the registry.
 *
 * Families the gateway drives itself: requests, operations, GraphQL errors, upstream calls, Redis
 * errors. Families that later plugins drive through this object (`metrics.authFailures.inc(…)`):
 * retries and circuit state (resilience), response cache, rate limits, authentication, signatures and
 * API-key versions.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitState, UpstreamOutcome } from '../upstream/observer.js';
import { createLabelLimiter, operationLabel } from './labels.js';
import { createStreamMetrics, type StreamMetrics } from './stream-metrics.js';

export interface MetricsOptions {
  /**
   * Most distinct operation names given their own label value; later ones share `__other`.
   * @default 200
   */
  maxOperationNames?: number;
  /** Most distinct upstream operations per source (routes, RPCs). @default 50 */
  maxUpstreamOperations?: number;
  /** Node process metrics (CPU, memory, event loop lag, GC, handles), unprefixed as is customary. @default true */
  processMetrics?: boolean;
}

/** How a GraphQL request ended, as a label. */
export type RequestOutcome =
  /** No errors. */
  | 'ok'
  /** Data with errors: some fields failed (an upstream, a field's policy). */
  | 'partial'
  /** Refused as a whole for the caller's reasons: bad input, authentication, limits (4xx). */
  | 'client_error'
  /** Failed as a whole for the gateway's or an upstream's reasons (5xx, no data). */
  | 'server_error'
  /** The client went away before its request body arrived (logged with status 499, nginx's "client closed request"). */
  | 'client_aborted';

/** `switchyard_api_key_requests_total{state}`: where the key stands in its rotation. */
export type ApiKeyState =
  /** The client's current key. */
  | 'active'
  /** Replaced, inside its grace window: answered with `Deprecation` and `Sunset`. */
  | 'grace'
  /** Past its Sunset (expired or revoked): refused; any such traffic is an alert. */
  | 'expired';

const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const UPSTREAM_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const CIRCUIT_VALUES: Readonly<Record<CircuitState, number>> = { closed: 0, half_open: 1, open: 2 };

/** One gateway instance's metrics. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** GraphQL HTTP requests, from arrival to response, by operation, type and outcome. */
  readonly requestDuration: Histogram<'operation' | 'type' | 'outcome'>;
  /** GraphQL execution (after parse and validation), by operation, type and outcome. */
  readonly operationDuration: Histogram<'operation' | 'type' | 'outcome'>;
  readonly requestsInFlight: Gauge;
  /** Errors in GraphQL responses, by catalogue code. */
  readonly graphqlErrors: Counter<'code'>;
  readonly upstreamRequests: Counter<'source' | 'outcome'>;
  readonly upstreamDuration: Histogram<'source' | 'operation'>;
  /** Resilience layer: retries of idempotent calls. */
  readonly upstreamRetries: Counter<'source' | 'operation'>;
  /** Resilience layer: 0 closed, 1 half-open, 2 open. Set with `setCircuitState`. */
  readonly circuitState: Gauge<'source'>;
  /** Response cache lookups: `hit`, `miss`, or `bypass` (store unavailable). */
  readonly responseCache: Counter<'result'>;
  /** Fields refused by a rate limit, by schema coordinate (`Query.portfolio`). */
  readonly rateLimitRefusals: Counter<'field'>;
  /** Authentication refusals by catalogue code; `client` is a known client id or `unknown`. */
  readonly authFailures: Counter<'code' | 'client'>;
  /** Signature refusals by catalogue code (REPLAYED_REQUEST included); `client` as above. */
  readonly signatureFailures: Counter<'code' | 'client'>;
  /** Requests per client, API-key version and key state. */
  readonly apiKeyRequests: Counter<'client' | 'version' | 'state'>;
  /** Redis failures: `connection` (client error events) or `command` (a store's failed call). */
  readonly redisErrors: Counter<'kind'>;
  /** Subscriptions and their upstream feeds (stream-metrics.ts). */
  readonly streams: StreamMetrics;

  /** The bounded `operation` label of an operation name (null: anonymous). */
  operationLabel(name: string | null | undefined): string;
  /** Observes one GraphQL request. */
  observeRequest(operation: string, type: string, outcome: RequestOutcome, seconds: number): void;
  /** Observes one GraphQL execution. */
  observeOperation(operation: string, type: string, outcome: RequestOutcome, seconds: number): void;
  /** Counts one upstream call and its latency. */
  observeUpstream(source: string, operation: string, outcome: UpstreamOutcome, seconds: number): void;
  /** Counts one retry of an idempotent upstream call. */
  countRetry(source: string, operation: string): void;
  setCircuitState(source: string, state: CircuitState): void;
  /** The Prometheus text exposition. */
  expose(): Promise<string>;
  readonly contentType: string;
}

/** Creates the metrics of one gateway instance, in their own registry. */
export function createMetrics({
  maxOperationNames = 200,
  maxUpstreamOperations = 50,
  processMetrics = true,
}: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requestDuration = new Histogram({
    name: 'switchyard_request_duration_seconds',
    help: 'GraphQL HTTP requests, arrival to response, by operation name, operation type and outcome.',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const operationDuration = new Histogram({
    name: 'switchyard_operation_duration_seconds',
    help: 'GraphQL execution (after parse and validation) by operation name, operation type and outcome.',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const requestsInFlight = new Gauge({
    name: 'switchyard_requests_in_flight',
    help: 'HTTP requests being handled (GraphQL and others, probes excluded).',
    registers,
  });
  const graphqlErrors = new Counter({
    name: 'switchyard_graphql_errors_total',
    help: 'Errors in GraphQL responses by catalogue code.',
    labelNames: ['code'] as const,
    registers,
  });
  const upstreamRequests = new Counter({
    name: 'switchyard_upstream_requests_total',
    help: 'Calls to upstream services by source and outcome (ok, rejected, error, timeout, aborted).',
    labelNames: ['source', 'outcome'] as const,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'switchyard_upstream_request_duration_seconds',
    help: 'Latency of upstream calls by source and operation (route template or RPC).',
    labelNames: ['source', 'operation'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers,
  });
  const upstreamRetries = new Counter({
    name: 'switchyard_upstream_retries_total',
    help: 'Retries of idempotent upstream calls by source and operation.',
    labelNames: ['source', 'operation'] as const,
    registers,
  });
  const circuitState = new Gauge({
    name: 'switchyard_upstream_circuit_state',
    help: 'Circuit breaker state per source: 0 closed, 1 half-open, 2 open.',
    labelNames: ['source'] as const,
    registers,
  });
  const responseCache = new Counter({
    name: 'switchyard_response_cache_requests_total',
    help: 'Response cache lookups by result: hit, miss, or bypass (cache store unavailable).',
    labelNames: ['result'] as const,
    registers,
  });
  const rateLimitRefusals = new Counter({
    name: 'switchyard_rate_limit_refusals_total',
    help: 'Fields refused by a rate limit, by schema coordinate.',
    labelNames: ['field'] as const,
    registers,
  });
  const authFailures = new Counter({
    name: 'switchyard_auth_failures_total',
    help: 'Refused authentications by catalogue code and client (unknown when the credential names none).',
    labelNames: ['code', 'client'] as const,
    registers,
  });
  const signatureFailures = new Counter({
    name: 'switchyard_signature_failures_total',
    help: 'Refused request signatures (replayed nonces included) by catalogue code and client.',
    labelNames: ['code', 'client'] as const,
    registers,
  });
  const apiKeyRequests = new Counter({
    name: 'switchyard_api_key_requests_total',
    help: 'Requests made with an API key by client, key version and key state (active, grace, expired).',
    labelNames: ['client', 'version', 'state'] as const,
    registers,
  });
  const redisErrors = new Counter({
    name: 'switchyard_redis_errors_total',
    help: 'Redis failures: connection (client error events) and command (failed store calls).',
    labelNames: ['kind'] as const,
    registers,
  });

  const operationNames = createLabelLimiter(maxOperationNames);
  const upstreamOperations = new Map<string, (value: string) => string>();
  const limitUpstreamOperation = (source: string, operation: string): string => {
    let limit = upstreamOperations.get(source);
    if (!limit) {
      limit = createLabelLimiter(maxUpstreamOperations);
      upstreamOperations.set(source, limit);
    }
    return limit(operation);
  };

  return {
    registry,
    requestDuration,
    operationDuration,
    requestsInFlight,
    graphqlErrors,
    upstreamRequests,
    upstreamDuration,
    upstreamRetries,
    circuitState,
    responseCache,
    rateLimitRefusals,
    authFailures,
    signatureFailures,
    apiKeyRequests,
    redisErrors,
    streams: createStreamMetrics(registry),
    operationLabel: (name) => operationLabel(name, operationNames),
    observeRequest(operation, type, outcome, seconds) {
      requestDuration.observe({ operation, type, outcome }, seconds);
    },
    observeOperation(operation, type, outcome, seconds) {
      operationDuration.observe({ operation, type, outcome }, seconds);
    },
    observeUpstream(source, operation, outcome, seconds) {
      upstreamRequests.inc({ source, outcome });
      upstreamDuration.observe({ source, operation: limitUpstreamOperation(source, operation) }, seconds);
    },
    countRetry(source, operation) {
      upstreamRetries.inc({ source, operation: limitUpstreamOperation(source, operation) });
    },
    setCircuitState(source, state) {
      circuitState.set({ source }, CIRCUIT_VALUES[state]);
    },
    expose: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
