/**
 * gRPC plumbing for gRPC sources: proto loading with one set of options, one channel per upstream
 * (built in main.ts and passed down), and unary calls with a deadline, the caller's AbortSignal and
 * status → catalogue mapping, every call run through the source's resilience policies
 * (resilience.ts: retries of reads, circuit breaker, bulkhead, deduplication). Every attempt is
 * reported to the injected observer (metrics, tracing), which may add metadata such as `traceparent`.
 * Server-streaming calls go over a channel of their own (grpc-stream.ts), outside the resilience
 * policies.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { UpstreamCallOptions } from './call.js';
import { UpstreamError } from './errors.js';
import { createGrpcStreamer, defaultGrpcStreamIdleTimeoutMs, type GrpcStreamOptions } from './grpc-stream.js';
import { type CircuitState, outcomeOf, type UpstreamCallEnd, type UpstreamObserver } from './observer.js';
import { createResilience, defaultTimeoutMs, isIdempotentRpc, type ResilienceOptions } from './resilience.js';

/** proto-loader options every source and sandbox share, so both sides decode alike. */
export const protoLoaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Loads a .proto file and returns the package definition object. */
export function loadProto(path: string): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync(path, protoLoaderOptions));
}

/** Resolves `pkg.Service` inside a loaded proto. */
export function serviceConstructor(
  proto: grpc.GrpcObject,
  qualifiedName: string,
): grpc.ServiceClientConstructor {
  let node: unknown = proto;
  for (const part of qualifiedName.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`gRPC service ${qualifiedName} not found in proto`);
  return node as grpc.ServiceClientConstructor;
}

/** Options of one gRPC upstream. */
export interface GrpcUpstreamOptions {
  /** Source name, used in errors and logs. */
  name: string;
  /** `host:port` of the upstream. */
  address: string;
  /** Deadline of each attempt, in ms. @default `defaultTimeoutMs` of resilience.ts (2000) */
  deadlineMs?: number;
  /** Receives every call (metrics, tracing). @default none: nothing is recorded */
  observer?: UpstreamObserver | undefined;
  /** Retries, breaker, bulkhead, deduplication. @default the defaults of resilience.ts */
  resilience?: ResilienceOptions | undefined;
  /**
   * Silence after which a server stream fails, in ms (three heartbeats of the upstream). @default
   * `defaultGrpcStreamIdleTimeoutMs` of grpc-stream.ts (15000)
   */
  streamIdleTimeoutMs?: number;
}

/** A gRPC upstream: unary calls and server streams by method name. */
export interface GrpcUpstream {
  readonly name: string;
  /**
   * Calls `method`. Reads (resilience.ts `isIdempotentRpc`) may be retried, and concurrent reads
   * with the same request share one call and one response: treat it as immutable. Anything else
   * is sent exactly once.
   */
  unary<Res>(method: string, request: object, options?: UpstreamCallOptions): Promise<Res>;
  /**
   * Calls the server-streaming `method` when iterated, on a channel of its own, without deadline,
   * and yields its messages. It returns when the upstream ends the stream with OK, and throws
   * UpstreamError (mapped like unary failures) on an error status, silence beyond the idle limit
   * (UPSTREAM_TIMEOUT), or the abort of `signal` (which cancels the call, as does leaving the
   * loop). Never retried, and the breaker is not consulted.
   */
  serverStream<T>(method: string, request: unknown, options: GrpcStreamOptions): AsyncIterable<T>;
  /** The source's circuit breaker now, for callers that reconnect streams on their own. */
  circuitState(): CircuitState;
  close(): void;
}

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

/** Creates the client (one HTTP/2 channel) for one gRPC upstream. */
export function createGrpcUpstream(
  Service: grpc.ServiceClientConstructor,
  {
    name,
    address,
    deadlineMs = defaultTimeoutMs,
    observer,
    resilience,
    streamIdleTimeoutMs = defaultGrpcStreamIdleTimeoutMs,
  }: GrpcUpstreamOptions,
): GrpcUpstream {
  const serviceName = serviceNameOf(Service);
  const client = new Service(address, grpc.credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  const policies = createResilience(name, resilience, observer);
  const streams = createGrpcStreamer(Service, {
    name,
    address,
    idleTimeoutMs: streamIdleTimeoutMs,
    mapError: (method, err) => statusError(name, method, err),
  });

  /** One attempt of a unary call, reported to the observer. */
  function attempt<Res>(
    fn: UnaryMethod,
    method: string,
    request: object,
    options: UpstreamCallOptions,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    const metadata = new grpc.Metadata();
    if (options.requestId) metadata.set('x-request-id', options.requestId);
    let end: UpstreamCallEnd | undefined;
    if (observer !== undefined) {
      const carrier: Record<string, string> = {};
      end = observer.startCall(
        { source: name, transport: 'grpc', method: serviceName, operation: method, scope: options.scope },
        carrier,
      );
      for (const [key, value] of Object.entries(carrier)) metadata.set(key, value);
    }
    const deadline = Date.now() + deadlineMs;
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) {
        end?.('aborted', 'UPSTREAM_UNAVAILABLE');
        reject(new UpstreamError('UPSTREAM_UNAVAILABLE', name, `${method} aborted by the client`));
        return;
      }
      const onAbort = () => call.cancel();
      const call = fn.call(client, request, metadata, { deadline }, (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          const failure = statusError(name, method, err);
          end?.(outcomeOf(failure.code, signal?.aborted === true), failure.code, err.code);
          reject(failure);
        } else {
          end?.('ok', undefined, grpc.status.OK);
          resolve(response as Res);
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    name,
    unary<Res>(method: string, request: object, options: UpstreamCallOptions = {}): Promise<Res> {
      const fn = (client as unknown as Record<string, UnaryMethod>)[method];
      if (typeof fn !== 'function') return Promise.reject(new Error(`${name}: unknown RPC ${method}`));
      const idempotent = isIdempotentRpc(method);
      return policies.execute(
        // Metadata is not part of the key (it carries the request id and trace context): a source
        // that sends per-caller credentials upstream must turn deduplication off for its upstream.
        {
          operation: method,
          idempotent,
          key: idempotent && policies.dedup ? `${method} ${JSON.stringify(request)}` : undefined,
        },
        (signal) => attempt<Res>(fn, method, request, options, signal),
        options.signal,
      );
    },
    serverStream: (method, request, options) => streams.serverStream(method, request, options),
    circuitState: () => policies.circuitState,
    close: () => {
      client.close();
      streams.close();
    },
  };
}

/** `pkg.Service` of a generated client constructor, for span names and attributes. */
function serviceNameOf(Service: grpc.ServiceClientConstructor): string {
  const first = Object.values(Service.service)[0];
  // Method paths read `/pkg.Service/Method`.
  return first?.path.split('/')[1] ?? Service.serviceName;
}

function statusError(source: string, method: string, err: grpc.ServiceError): UpstreamError {
  const detail = `${method}: ${grpc.status[err.code] ?? err.code}`;
  const options = { cause: err, status: err.code };
  switch (err.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new UpstreamError('UPSTREAM_TIMEOUT', source, detail, options);
    case grpc.status.NOT_FOUND:
      return new UpstreamError('NOT_FOUND', source, detail, options);
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.OUT_OF_RANGE:
      return new UpstreamError('BAD_USER_INPUT', source, detail, options);
    default:
      return new UpstreamError('UPSTREAM_UNAVAILABLE', source, detail, options);
  }
}
