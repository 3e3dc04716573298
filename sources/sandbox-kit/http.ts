/**
 * The REST half of every sandbox: a node:http server that routes JSON GETs and event streams
 * (sse.ts), runs each request through the fault knobs of `faults.ts`, serves the admin routes, and
 * closes promptly even while requests hang, streams are open and keep-alive sockets stay open.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createSandboxControl, type FaultDecision, handleAdmin, type SandboxControl } from './faults.js';
import { createEventStreams, type EventStreamRoute, type EventStreams } from './sse.js';
import type { RunningSandbox, SandboxOptions } from './types.js';

/** A JSON answer of a route. */
export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
}

/** What a route handler sees of a request. */
export interface RouteRequest {
  /** Decoded path parameters, named as in the braces of the route. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

/** One route of a REST sandbox. */
export interface JsonRoute {
  /** `GET /v1/tokens/{id}`: method and path pattern; also the key of `stats.byRoute`. */
  readonly route: string;
  /** Answers the request; a thrown error becomes a 500. */
  readonly handle: (request: RouteRequest) => JsonReply;
}

/** Options of `startJsonSandbox`. */
export interface JsonSandboxOptions extends SandboxOptions {
  /** Sandbox name, reported by `RunningSandbox.name`. */
  name: string;
  routes: readonly JsonRoute[];
  /** Server-Sent Events routes. @default none */
  streams?: readonly EventStreamRoute[];
}

/** A 200 reply. */
export const ok = (body: unknown): JsonReply => ({ status: 200, body });
/** The 404 every contract shares. */
export const notFound = (): JsonReply => ({ status: 404, body: { error: 'not_found' } });
/** A 400 that says what is wrong with the request. */
export const badRequest = (message: string): JsonReply => ({
  status: 400,
  body: { error: 'bad_request', message },
});

/** What the `garbage` outage answers: a 200 that claims JSON and is not. */
export const GARBAGE_BODY = '<html>upstream exploded';

interface CompiledRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly route: JsonRoute | EventStreamRoute;
}

function compile(route: JsonRoute | EventStreamRoute): CompiledRoute {
  const [method, path] = route.route.split(' ');
  if (!method || !path?.startsWith('/'))
    throw new Error(`route must read "METHOD /path", got "${route.route}"`);
  const names: string[] = [];
  const source = path
    .split(/(\{\w+\})/)
    .map((part) => {
      const param = /^\{(\w+)\}$/.exec(part);
      if (!param?.[1]) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return '([^/]+)';
    })
    .join('');
  return { method, pattern: new RegExp(`^${source}$`), names, route };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

function firstHeader(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** Starts a REST sandbox on `host:port` (a free port by default). */
export async function startJsonSandbox({
  name,
  routes,
  streams = [],
  host = '127.0.0.1',
  port = 0,
}: JsonSandboxOptions): Promise<RunningSandbox> {
  const compiled = [...routes, ...streams].map(compile);
  const control = createSandboxControl();
  const eventStreams = createEventStreams(control);
  // Hanging requests keep their sockets busy, so close() must destroy them itself.
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    if (handleAdmin(control, req, res)) return;
    serve(control, eventStreams, compiled, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'internal' }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const target = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    name,
    target,
    adminUrl: `${target}/__sandbox`,
    control,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        control.dropStreams();
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

async function serve(
  control: SandboxControl,
  eventStreams: EventStreams,
  routes: readonly CompiledRoute[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  req.resume();
  // Prefixing keeps a path such as `//x` from being read as a host.
  const url = new URL(`http://sandbox${req.url ?? '/'}`);
  const allowed: string[] = [];
  for (const compiled of routes) {
    const match = compiled.pattern.exec(url.pathname);
    if (!match) continue;
    allowed.push(compiled.method);
    if (compiled.method !== req.method) continue;
    const { route } = compiled;
    const decision = await control.admit(route.route, firstHeader(req.headers.traceparent));
    answer(decision, req, res, () => {
      const params: Record<string, string> = {};
      for (const [i, key] of compiled.names.entries()) {
        try {
          params[key] = decodeURIComponent(match[i + 1] ?? '');
        } catch {
          return badRequest(`path parameter ${key} is not valid percent-encoding`);
        }
      }
      const request = { params, query: url.searchParams };
      if ('handle' in route) return route.handle(request);
      const accepted = route.accept(request);
      if (typeof accepted !== 'function') return accepted;
      eventStreams.serve(route.route, res, accepted);
      return null;
    });
    return;
  }
  if (allowed.length > 0)
    send(res, 405, JSON.stringify({ error: 'method_not_allowed' }), { allow: allowed.join(', ') });
  else send(res, 404, JSON.stringify({ error: 'not_found' }));
}

function answer(
  decision: FaultDecision,
  req: IncomingMessage,
  res: ServerResponse,
  handle: () => JsonReply | null,
): void {
  switch (decision) {
    case 'serve': {
      // null: the handler answered itself (an event stream).
      const reply = handle();
      if (reply) send(res, reply.status, JSON.stringify(reply.body));
      return;
    }
    case 'error':
      send(res, 503, JSON.stringify({ error: 'unavailable' }), { 'retry-after': '1' });
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'hang':
      return;
    case 'garbage':
      send(res, 200, GARBAGE_BODY);
      return;
  }
}
