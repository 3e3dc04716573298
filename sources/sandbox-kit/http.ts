/**
 * The REST half of every sandbox: a node:http server that routes JSON requests and event streams
 * (sse.ts), runs each request through the fault knobs of `faults.ts`, serves the admin routes (the
 * shared ones and a sandbox's own), and closes promptly even while requests hang, streams are open
 * and keep-alive sockets stay open.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  ADMIN_PREFIX,
  createSandboxControl,
  type FaultDecision,
  handleAdmin,
  type SandboxControl,
} from './faults.js';
import { createEventStreams, type EventStreamRoute, type EventStreams } from './sse.js';
import type { RunningSandbox, SandboxOptions } from './types.js';

/** A JSON answer of a route. */
export interface JsonReply {
  readonly status: number;
  /** The JSON body; `undefined` sends no body at all (a 204). */
  readonly body: unknown;
}

/** What a route handler sees of a request. */
export interface RouteRequest {
  /** Decoded path parameters, named as in the braces of the route. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The query string exactly as received, without the `?`: what request signatures cover. */
  readonly rawQuery: string;
  /** Request headers, names in lowercase (node:http). */
  readonly headers: IncomingHttpHeaders;
  /** The client's address as the socket reports it (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`). */
  readonly remoteAddress: string;
}

/** What a sandbox-specific admin route sees: a route request plus its JSON body. */
export interface AdminRequest extends RouteRequest {
  /** The parsed JSON body; `undefined` when the body is empty. */
  readonly body: unknown;
}

/**
 * An admin route of one sandbox (keys, clocks), served under `/__sandbox` beside the shared ones.
 * Admin routes are neither counted nor subject to faults: they are how tests drive the sandbox.
 */
export interface AdminRoute {
  /** `POST /keys`: method and path pattern below `/__sandbox`. */
  readonly route: string;
  /** Answers the request; a thrown error becomes a 500. */
  readonly handle: (request: AdminRequest) => JsonReply;
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
  /** Admin routes of this sandbox, below `/__sandbox`. @default none */
  admin?: readonly AdminRoute[];
}

/** A 200 reply. */
export const ok = (body: unknown): JsonReply => ({ status: 200, body });
/** A 204 reply: no body. */
export const noContent = (): JsonReply => ({ status: 204, body: undefined });
/** The 404 every contract shares. */
export const notFound = (): JsonReply => ({ status: 404, body: { error: 'not_found' } });
/** A 400 that says what is wrong with the request. */
export const badRequest = (message: string): JsonReply => ({
  status: 400,
  body: { error: 'bad_request', message },
});

/** What the `garbage` outage answers: a 200 that claims JSON and is not. */
export const GARBAGE_BODY = '<html>upstream exploded';

/** Largest JSON body an admin route accepts. */
const MAX_ADMIN_BODY_BYTES = 64 * 1024;

interface CompiledRoute<R extends { readonly route: string } = JsonRoute | EventStreamRoute> {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly route: R;
}

function compile<R extends { readonly route: string }>(route: R): CompiledRoute<R> {
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

function sendReply(res: ServerResponse, reply: JsonReply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status);
    res.end();
  } else send(res, reply.status, JSON.stringify(reply.body));
}

/** Decodes the path parameters of a match; a string names the one that is not valid percent-encoding. */
function decodeParams(names: readonly string[], match: RegExpExecArray): Record<string, string> | string {
  const params: Record<string, string> = {};
  for (const [i, key] of names.entries()) {
    try {
      params[key] = decodeURIComponent(match[i + 1] ?? '');
    } catch {
      return key;
    }
  }
  return params;
}

/** The parts of a route request every handler sees, from the raw request. */
function requestParts(req: IncomingMessage, url: URL) {
  const target = req.url ?? '';
  const mark = target.indexOf('?');
  return {
    query: url.searchParams,
    rawQuery: mark < 0 ? '' : target.slice(mark + 1),
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress ?? '',
  };
}

function firstHeader(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** Starts a REST sandbox on `host:port` (a free port by default). */
export async function startJsonSandbox({
  name,
  routes,
  streams = [],
  admin = [],
  host = '127.0.0.1',
  port = 0,
}: JsonSandboxOptions): Promise<RunningSandbox> {
  const compiled = [...routes, ...streams].map(compile);
  const compiledAdmin = admin.map(compile);
  const control = createSandboxControl();
  const eventStreams = createEventStreams(control);
  // Hanging requests keep their sockets busy, so close() must destroy them itself.
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    if (serveOwnAdmin(compiledAdmin, req, res)) return;
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
      const params = decodeParams(compiled.names, match);
      if (typeof params === 'string')
        return badRequest(`path parameter ${params} is not valid percent-encoding`);
      const request: RouteRequest = { params, ...requestParts(req, url) };
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
      if (reply) sendReply(res, reply);
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

/**
 * Serves the sandbox's own admin routes; returns false when the request matches none of them, so
 * that the shared admin routes (`handleAdmin`) and the contract routes get their turn.
 */
function serveOwnAdmin(
  routes: readonly CompiledRoute<AdminRoute>[],
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (routes.length === 0 || !req.url?.startsWith(ADMIN_PREFIX)) return false;
  const url = new URL(`http://sandbox${req.url}`);
  const path = url.pathname.slice(ADMIN_PREFIX.length);
  for (const compiled of routes) {
    const match = compiled.method === req.method ? compiled.pattern.exec(path) : null;
    if (!match) continue;
    readJson(req)
      .then((body) => {
        const params = decodeParams(compiled.names, match);
        if (typeof params === 'string')
          return sendReply(res, badRequest(`path parameter ${params} is not valid percent-encoding`));
        if (body instanceof Error) return sendReply(res, badRequest(body.message));
        sendReply(res, compiled.route.handle({ params, body, ...requestParts(req, url) }));
      })
      .catch(() => {
        if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'internal' }));
      });
    return true;
  }
  return false;
}

/** Reads a JSON body: `undefined` when empty, an Error (the 400 message) when it is not JSON or too big. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  let tooBig = false;
  req.setEncoding('utf8');
  // Reads to the end even past the limit: leaving the body unread would break the keep-alive socket.
  for await (const chunk of req) {
    if (!tooBig) text += chunk as string;
    tooBig ||= text.length > MAX_ADMIN_BODY_BYTES;
  }
  if (tooBig) return new Error(`body exceeds ${MAX_ADMIN_BODY_BYTES} bytes`);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new Error('body is not valid JSON');
  }
}
