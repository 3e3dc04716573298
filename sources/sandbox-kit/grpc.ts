/**
 * What every gRPC sandbox shares: a real insecure grpc.Server whose unary and server-streaming
 * handlers go through the fault knobs and counters of `SandboxControl`, an HTTP server for the
 * admin routes beside it, and the standalone runner used by each sandbox's `main.ts`.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createSandboxControl, handleAdmin, type SandboxControl } from './faults.js';
import type { RunningSandbox, SandboxOptions } from './types.js';

/** Most ids a batch RPC of a sandbox accepts, like a real service's request limit. */
export const MAX_BATCH_IDS = 1000;

/** An error a sandbox handler throws to answer with a gRPC status. */
export interface GrpcStatusError extends Error {
  code: grpc.status;
  details: string;
}

/** Builds the error that makes a sandbox answer `code` with `details`. */
export function grpcStatusError(code: grpc.status, details: string): GrpcStatusError {
  return Object.assign(new Error(details), { code, details });
}

function isGrpcStatusError(err: unknown): err is GrpcStatusError {
  return err instanceof Error && typeof (err as Partial<GrpcStatusError>).code === 'number';
}

/** INVALID_ARGUMENT unless `ids` holds 1..MAX_BATCH_IDS non-empty ids. */
export function requireIds(ids: readonly string[], field: string): readonly string[] {
  if (ids.length === 0 || ids.length > MAX_BATCH_IDS || ids.some((id) => id === '')) {
    throw grpcStatusError(
      grpc.status.INVALID_ARGUMENT,
      `${field} must hold 1-${MAX_BATCH_IDS} non-empty ids`,
    );
  }
  return ids;
}

/** The open response stream of a server-streaming RPC, as its handler sees it. */
export interface GrpcServerStream<T> {
  /** Sends one message; a no-op once the stream has ended or the client has gone. */
  write(message: T): void;
  /** Ends the stream with OK. */
  end(): void;
  /** Ends the stream with a status (`grpcStatusError`). */
  fail(err: GrpcStatusError): void;
  /** Calls `fn` once when the stream closes, whatever closed it (end, client cancel, drop, outage). */
  onClose(fn: () => void): void;
}

/**
 * A server-streaming handler: gets the decoded request and the stream, and writes to it for as
 * long as it likes. Throwing (before or instead of writing) ends the stream with that status.
 */
export type GrpcStreamHandler<Req, Res> = (request: Req, stream: GrpcServerStream<Res>) => void;

/**
 * Handlers by RPC name as written in the .proto (`ListAccounts`). A unary handler gets the decoded
 * request (camelCase, as proto-loader decodes it) and returns the response or throws
 * `grpcStatusError`; a server-streaming RPC's handler is a `GrpcStreamHandler`. The parameters are
 * `never` so that each handler can declare its own types.
 */
export type GrpcSandboxHandlers = Record<string, (request: never, stream: never) => unknown>;

/** One gRPC sandbox to start. */
export interface GrpcSandboxDefinition {
  /** Sandbox name (`portfolio`), as in `RunningSandbox.name`. */
  name: string;
  /** The service definition (`ServiceClientConstructor.service`). */
  service: grpc.ServiceDefinition;
  /** A handler for every RPC of the service. */
  handlers: GrpcSandboxHandlers;
}

/** Starts the gRPC server and its admin HTTP server; both listen before the promise resolves. */
export async function startGrpcSandbox(
  { name, service, handlers }: GrpcSandboxDefinition,
  { port = 0, host = '127.0.0.1', adminPort = 0 }: SandboxOptions = {},
): Promise<RunningSandbox> {
  const control = createSandboxControl();
  const server = new grpc.Server();
  server.addService(service, implement(service, handlers, control));
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${hostPart(host)}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (!err) return resolve(bound);
      server.forceShutdown();
      reject(err);
    });
  });
  let admin: HttpServer;
  try {
    admin = await listenAdmin(control, host, adminPort);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  const publicHost = hostPart(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  let closing: Promise<void> | undefined;
  return {
    name,
    target: `${publicHost}:${boundPort}`,
    adminUrl: `http://${publicHost}:${(admin.address() as AddressInfo).port}/__sandbox`,
    control,
    close() {
      closing ??= new Promise<void>((resolve) => {
        control.dropStreams();
        // forceShutdown cancels in-flight calls, hung ones included, so closing never waits on them.
        server.forceShutdown();
        admin.closeAllConnections();
        admin.close(() => resolve());
      });
      return closing;
    },
  };
}

function hostPart(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function implement(
  service: grpc.ServiceDefinition,
  handlers: GrpcSandboxHandlers,
  control: SandboxControl,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, definition] of Object.entries(service)) {
    const handler = handlers[method];
    if (!handler) throw new Error(`sandbox handler missing for ${method}`);
    if (definition.requestStream) throw new Error(`sandbox: client-streaming ${method} is not supported`);
    if (definition.responseStream) {
      implementation[method] = (call: grpc.ServerWritableStream<unknown, unknown>): void => {
        void serveStream(method, handler as GrpcStreamHandler<unknown, unknown>, control, call);
      };
      continue;
    }
    implementation[method] = (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ): void => {
      void serve(method, handler as (request: never) => unknown, control, call, callback);
    };
  }
  return implementation;
}

async function serve(
  method: string,
  handler: (request: never) => unknown,
  control: SandboxControl,
  call: grpc.ServerUnaryCall<unknown, unknown>,
  callback: grpc.sendUnaryData<unknown>,
): Promise<void> {
  const traceparent = call.metadata.get('traceparent')[0];
  const decision = await control.admit(method, typeof traceparent === 'string' ? traceparent : null);
  const answer: grpc.sendUnaryData<unknown> = (err, value) => {
    // The client gave up (deadline, cancel) while the call was held: nobody is listening.
    if (!call.cancelled) callback(err, value);
  };
  switch (decision) {
    case 'hang':
      return; // never answer: the client's deadline fires, close() cancels the call
    case 'error':
      return answer(grpcStatusError(grpc.status.UNAVAILABLE, 'sandbox: injected error'));
    case 'reset':
      return answer(grpcStatusError(grpc.status.UNAVAILABLE, 'sandbox: injected connection reset'));
    case 'garbage':
      return answer(grpcStatusError(grpc.status.INTERNAL, 'sandbox: injected garbage response'));
    case 'serve':
      break;
  }
  // Like a real server, finish the work even when the client has given up: a slow PlaceOrder
  // still places its order, which is what makes its timeout ambiguous.
  try {
    answer(null, await handler(call.request as never));
  } catch (err) {
    answer(isGrpcStatusError(err) ? err : grpcStatusError(grpc.status.INTERNAL, String(err)));
  }
}

async function serveStream(
  method: string,
  handler: GrpcStreamHandler<unknown, unknown>,
  control: SandboxControl,
  call: grpc.ServerWritableStream<unknown, unknown>,
): Promise<void> {
  const traceparent = call.metadata.get('traceparent')[0];
  const decision = await control.admit(method, typeof traceparent === 'string' ? traceparent : null);
  if (call.cancelled) return;
  const unavailable = (details: string) => grpcStatusError(grpc.status.UNAVAILABLE, details);
  switch (decision) {
    case 'hang':
      return; // never answer: close() cancels the call
    case 'error':
      call.emit('error', unavailable('sandbox: injected error'));
      return;
    case 'reset':
      call.emit('error', unavailable('sandbox: injected connection reset'));
      return;
    case 'garbage':
      call.emit('error', grpcStatusError(grpc.status.INTERNAL, 'sandbox: injected garbage response'));
      return;
    case 'serve':
      break;
  }
  let ended = false;
  const closeListeners: (() => void)[] = [];
  const finish = (err?: GrpcStatusError) => {
    if (ended) return;
    ended = true;
    closed();
    for (const fn of closeListeners.splice(0)) fn();
    if (call.cancelled) return;
    if (err) call.emit('error', err);
    else call.end();
  };
  const closed = control.streams.open(method, () => finish(unavailable('sandbox: stream dropped')));
  call.once('cancelled', () => finish());
  const stream: GrpcServerStream<unknown> = {
    write(message) {
      if (!ended && !call.cancelled) call.write(message);
    },
    end: () => finish(),
    fail: (err) => finish(err),
    onClose(fn) {
      if (ended) fn();
      else closeListeners.push(fn);
    },
  };
  try {
    handler(call.request, stream);
  } catch (err) {
    finish(isGrpcStatusError(err) ? err : grpcStatusError(grpc.status.INTERNAL, String(err)));
  }
}

function listenAdmin(control: SandboxControl, host: string, port: number): Promise<HttpServer> {
  const admin = createServer((req, res) => {
    if (!handleAdmin(control, req, res)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found' }));
    }
  });
  return new Promise((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(port, host, () => {
      admin.off('error', reject);
      resolve(admin);
    });
  });
}
