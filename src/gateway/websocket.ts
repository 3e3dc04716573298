/**
 * GraphQL over WebSocket (the `graphql-ws` protocol, `graphql-transport-ws` subprotocol) on the
 * gateway's own port and path, through the very pipeline HTTP requests take: every operation a
 * client starts on the socket becomes a request to the gateway's handler, carrying the
 * connection's credentials, the client's address and forwarding headers. Authentication, persisted
 * operations, query protection, scopes, limits, leases and revocation are therefore the same code
 * for both transports, not a second implementation to keep in step. The answer comes back as GraphQL
 * over SSE and each event is relayed as a `next` message.
 *
 * Identity travels in `connection_init`'s payload: `{ "x-api-key": "sy_…" }` or
 * `{ "authorization": "Bearer …" }` (names case-insensitive). It is verified before the connection
 * is acknowledged (a bad credential closes it with 4403) and again with every operation, so a key
 * revoked meanwhile starts nothing more. Mutations need an HTTP message signature, which a socket
 * message cannot carry: they are refused (SIGNATURE_REQUIRED), as they would be over HTTP unsigned.
 * Credentials are never ambient (no cookies), so a page of another origin gains nothing from
 * opening a socket: the Origin header is not an authority here.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, type ExecutionResult, type GraphQLSchema, parse } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { API_KEY_HEADER } from '../auth/authenticate.js';
import { createSseParser } from '../upstream/sse.js';

export interface WebSocketTransportOptions {
  /** The listener whose upgrade requests on `path` become GraphQL sockets. */
  server: Server;
  /** @default '/graphql' */
  path?: string;
  /** The gateway's request handler (Yoga's `fetch`), given the upgrade request as server context. */
  handle(request: Request, serverContext: { req: IncomingMessage }): Promise<Response> | Response;
  /** Verifies the connection's credentials (throws when they do not verify). */
  verify(headers: Headers, req: IncomingMessage): Promise<void>;
  /** Largest message a client may send, in bytes (the HTTP body limit). */
  maxPayloadBytes: number;
  /** Ping interval; a client that does not pong within it is dropped. @default 12000 */
  keepAliveMs?: number;
  logger: Logger;
}

export interface WebSocketTransport {
  /** Open sockets. */
  readonly connections: number;
  /** Closes every socket with `code` (1012: "service restart", reconnect) and stops accepting. */
  close(code?: number, reason?: string): Promise<void>;
}

interface ConnectionExtra {
  readonly request: IncomingMessage;
  /** The credential headers of connection_init, once verified. */
  credentials?: Record<string, string>;
}

/** Headers forwarded from the upgrade request to every operation's request. */
const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'user-agent', 'x-request-id'];

/** A document graphql-ws only uses to choose "subscribe": the client's own runs in the gateway. */
const RELAY = parse('subscription Relay { __typename }');

/** The credential headers of a connection_init payload. */
function credentialsOf(payload: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (typeof payload !== 'object' || payload === null) return headers;
  for (const [name, value] of Object.entries(payload)) {
    const lower = name.toLowerCase();
    if (typeof value === 'string' && (lower === API_KEY_HEADER || lower === 'authorization'))
      headers[lower] = value;
  }
  return headers;
}

/**
 * A result as the gateway serialised it. graphql-ws serialises errors with `toJSON` (GraphQLError's):
 * the gateway's already serialised errors answer it with themselves, unchanged.
 */
function relayed(result: { errors?: Record<string, unknown>[] }): ExecutionResult {
  if (!result.errors) return result as ExecutionResult;
  return {
    ...result,
    errors: result.errors.map((error) => ({ ...error, toJSON: () => error })),
  } as unknown as ExecutionResult;
}

/** Attaches the transport to `server`'s upgrade requests. */
export function attachWebSocketTransport({
  server,
  path = '/graphql',
  handle,
  verify,
  maxPayloadBytes,
  keepAliveMs = 12_000,
  logger,
}: WebSocketTransportOptions): WebSocketTransport {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: maxPayloadBytes });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  /**
   * The headers a request from this socket carries: its credentials and the upgrade request's
   * forwarding headers, so that connection_init is verified for the same client address (and IP
   * allowlist) as every operation after it.
   */
  function headersOf(request: IncomingMessage, credentials: Record<string, string> | undefined): Headers {
    const headers = new Headers(credentials);
    for (const name of FORWARDED) {
      const value = request.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    return headers;
  }

  function operationRequest(extra: ConnectionExtra, body: string, signal: AbortSignal): Request {
    const headers = headersOf(extra.request, extra.credentials);
    headers.set('content-type', 'application/json');
    headers.set('accept', 'text/event-stream');
    const host = extra.request.headers.host ?? 'localhost';
    return new Request(`http://${host}${path}`, { method: 'POST', headers, body, signal });
  }

  /**
   * Relays the gateway's answer to one operation: each SSE `next` event, or the single JSON answer.
   * Not an async generator: its return() would wait for the next event, and a client that completes
   * an idle subscription must end it (and its upstream feed, and its lease) at once.
   */
  function relay(extra: ConnectionExtra, body: string): AsyncIterableIterator<ExecutionResult> {
    const abort = new AbortController();
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    const parser = createSseParser();
    const decoder = new TextDecoder();
    const ready: ExecutionResult[] = [];
    // `complete` arrived (or the single JSON answer): deliver what is ready, then end.
    let completed = false;
    let done = false;
    const finish = (): IteratorResult<ExecutionResult> => {
      done = true;
      abort.abort();
      void reader?.cancel().catch(() => {});
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        for (;;) {
          if (done) return { value: undefined, done: true };
          const value = ready.shift();
          if (value) return { value, done: false };
          if (completed) return finish();
          if (!reader) {
            const response = await handle(operationRequest(extra, body, abort.signal), {
              req: extra.request,
            });
            if (!response.headers.get('content-type')?.startsWith('text/event-stream') || !response.body) {
              ready.push(relayed(await response.json()));
              completed = true;
              continue;
            }
            reader = response.body.getReader();
            continue;
          }
          const chunk = await reader.read();
          if (chunk.done) return finish();
          for (const event of parser.push(decoder.decode(chunk.value, { stream: true }))) {
            if (event.event === 'next') ready.push(relayed(JSON.parse(event.data)));
            else if (event.event === 'complete') completed = true;
          }
        }
      },
      // The client completed the operation or went away: the gateway ends the stream and its lease.
      async return() {
        return finish();
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  const graphqlWs = useServer<Record<string, unknown> | undefined, { state: ConnectionExtra }>(
    {
      // Never used to run the client's operation (the gateway does, in `relay`): graphql-ws asks for one.
      schema: undefined as unknown as GraphQLSchema,
      async onConnect(ctx) {
        const credentials = credentialsOf(ctx.connectionParams);
        try {
          await verify(headersOf(ctx.extra.request, credentials), ctx.extra.request);
        } catch {
          return false;
        }
        ctx.extra.state = { request: ctx.extra.request, credentials };
        return true;
      },
      onSubscribe(ctx, _id, payload): ExecutionArgs {
        const state = ctx.extra.state!;
        const body = JSON.stringify({
          query: payload.query,
          variables: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          extensions: payload.extensions ?? undefined,
        });
        return {
          schema: undefined as unknown as GraphQLSchema,
          document: RELAY,
          rootValue: { body, state },
        };
      },
      subscribe: (args) => {
        const { body, state } = args.rootValue as { body: string; state: ConnectionExtra };
        return relay(state, body);
      },
      onError(_ctx, _id, _payload, errors) {
        logger.debug({ errors: errors.map((e) => e.message) }, 'websocket operation error');
      },
    },
    sockets,
    keepAliveMs,
  );

  return {
    get connections() {
      return sockets.clients.size;
    },
    async close(code = 1012, reason = 'Service restart') {
      server.off('upgrade', onUpgrade);
      for (const client of sockets.clients) client.close(code, reason);
      await graphqlWs.dispose();
    },
  };
}
