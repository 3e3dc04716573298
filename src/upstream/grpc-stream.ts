/**
 * Server-streaming calls of a gRPC upstream, on a channel of their own so that long-lived streams
 * never compete with unary calls for the HTTP/2 streams of one connection. No deadline: a stream
 * lives as long as its consumer wants it, and the upstream's heartbeats (marker messages) are the
 * liveness signal, so a stream on which nothing arrives for the idle limit fails. No retries and no
 * breaker here: whoever consumes the stream reconnects.
 */
import * as grpc from '@grpc/grpc-js';
import { UpstreamError } from './errors.js';

/** How long a stream may stay silent before it fails, in ms: three heartbeats of 5 s. */
export const defaultGrpcStreamIdleTimeoutMs = 15_000;

/** Options of one server stream. */
export interface GrpcStreamOptions {
  /** Cancels the call when aborted. */
  readonly signal: AbortSignal;
  /** The gateway's request id, forwarded as `x-request-id`. */
  readonly requestId?: string | undefined;
  /** Silence, in ms, after which the stream fails with UPSTREAM_TIMEOUT. @default the upstream's */
  readonly idleTimeoutMs?: number;
}

type StreamMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;

/** Opens server streams of `Service` at `address` on a dedicated channel. */
export function createGrpcStreamer(
  Service: grpc.ServiceClientConstructor,
  {
    name,
    address,
    idleTimeoutMs: defaultIdleMs,
    mapError,
  }: {
    name: string;
    address: string;
    idleTimeoutMs: number;
    /** The unary mapping of a status to an UpstreamError, so both kinds of call fail alike. */
    mapError: (method: string, err: grpc.ServiceError) => UpstreamError;
  },
): {
  serverStream<T>(method: string, request: unknown, options: GrpcStreamOptions): AsyncIterable<T>;
  close(): void;
} {
  let client: grpc.Client | undefined;
  const open = new Set<grpc.ClientReadableStream<unknown>>();
  // The local subchannel pool gives this channel its own connection rather than the unary one's.
  const channel = () =>
    (client ??= new Service(address, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      'grpc.use_local_subchannel_pool': 1,
    }));

  async function* serverStream<T>(
    method: string,
    request: unknown,
    options: GrpcStreamOptions,
  ): AsyncGenerator<T> {
    const { signal, requestId, idleTimeoutMs = defaultIdleMs } = options;
    const fn = (channel() as unknown as Record<string, StreamMethod>)[method];
    if (typeof fn !== 'function') throw new Error(`${name}: unknown RPC ${method}`);
    if (signal.aborted)
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', name, `${method} aborted by the client`);
    const metadata = new grpc.Metadata();
    if (requestId) metadata.set('x-request-id', requestId);
    const call = fn.call(client, request, metadata, {});
    // Errors reach the consumer through the iterator; this keeps the status that follows a cancel
    // from being an unhandled 'error' event once the iterator has stopped listening.
    call.on('error', () => {});
    open.add(call);
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    const messages = call[Symbol.asyncIterator]() as AsyncIterator<T>;
    let finished = false;
    try {
      for (;;) {
        // The idle clock runs only while waiting on the upstream, never while the consumer is slow.
        timer = setTimeout(() => {
          expired = true;
          call.cancel();
        }, idleTimeoutMs);
        const next = await messages.next();
        clearTimeout(timer);
        if (next.done) {
          finished = true;
          return;
        }
        yield next.value;
      }
    } catch (err) {
      finished = true;
      if (expired) {
        throw new UpstreamError('UPSTREAM_TIMEOUT', name, `${method} stream silent for ${idleTimeoutMs} ms`, {
          cause: err,
        });
      }
      if (signal.aborted) {
        throw new UpstreamError('UPSTREAM_UNAVAILABLE', name, `${method} aborted by the client`, {
          cause: err,
        });
      }
      const code = (err as Partial<grpc.ServiceError>).code;
      if (typeof code === 'number') throw mapError(method, err as grpc.ServiceError);
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', name, `${method}: ${String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      open.delete(call);
      // The consumer left early (break, return, its own error): the upstream must stop sending.
      if (!finished) call.cancel();
    }
  }

  return {
    serverStream,
    close() {
      // Closing a channel lets its calls run on: streams never end by themselves.
      for (const call of open) call.cancel();
      client?.close();
    },
  };
}
