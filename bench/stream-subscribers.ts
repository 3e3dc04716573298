/**
 * One load-generating worker of `npm run bench:stream` (forked by bench/stream.ts, commanded over
 * IPC): holds many SSE subscriptions, each a raw TCP socket with a hand-written HTTP request,
 * and per received chunk only finds each `"updatedAt":"` and its 24-character timestamp — one per
 * message, so messages are counted exactly without parsing JSON. Latency = Date.now() at receipt -
 * Date.parse(updatedAt), the upstream's emit instant, on the same machine and clock; whole ms on
 * both sides (performance.timeOrigin + performance.now() was measured 2-6 ms off Date.now() here).
 *
 * Commands: connect (open `count` subscriptions, `batch` at a time, until each is answered 200),
 * first (wait until every subscription has had an event), window (count messages whose updatedAt is within [t0, t1), answer `grace` ms after t1), close.
 */
import { connect as connectTcp, type Socket } from 'node:net';

export interface ConnectCommand {
  type: 'connect';
  url: string;
  headers: Record<string, string>;
  body: string;
  count: number;
  batch: number;
  timeoutMs: number;
}
export interface WindowCommand {
  type: 'window';
  t0: number;
  t1: number;
  graceMs: number;
}
export type WorkerCommand =
  | ConnectCommand
  | WindowCommand
  | { type: 'first'; timeoutMs: number }
  | { type: 'close' };

export interface ReadyReport {
  type: 'ready';
  connected: number;
  withFirstEvent: number;
  failures: string[];
  connectMs: number;
}
export interface WindowReport {
  type: 'result';
  /** Messages whose updatedAt is within the window, over all subscribers. */
  messages: number;
  /** Latency histogram of those messages: [bucket of HISTOGRAM_STEP_MS, count] for non-empty buckets. */
  histogram: [number, number][];
  /** Messages beyond the histogram's range (latency >= its end). */
  overflow: number;
  maxMs: number;
  /** Fewest and most messages in the window of one subscriber. */
  minPerSubscriber: number;
  maxPerSubscriber: number;
  /** Streams that ended or failed before the end of the window. */
  ended: number;
  /** Chunks with an `"errors"` member. */
  errors: number;
}
export type WorkerReport = ReadyReport | WindowReport | { type: 'closed' };

/** Latency histogram resolution and range. */
export const HISTOGRAM_STEP_MS = 1;
const HISTOGRAM_BUCKETS = 60_000;

const MARKER = '"updatedAt":"';
/** `2026-11-23T16:42:45.063Z` */
const STAMP_LENGTH = 24;
/** Beginnings of the marker, longest first: what a chunk may end with when a marker is split. */
const PREFIXES = Array.from({ length: MARKER.length - 1 }, (_, i) => MARKER.slice(0, MARKER.length - 1 - i));

interface Subscriber {
  socket: Socket;
  pending: string;
  inWindow: number;
  gotFirst: boolean;
  ended: boolean;
}

const subscribers: Subscriber[] = [];
let histogram = new Uint32Array(HISTOGRAM_BUCKETS);
let overflow = 0;
let maxMs = 0;
let errors = 0;
let windowT0 = Number.POSITIVE_INFINITY;
let windowT1 = Number.NEGATIVE_INFINITY;
let lastStamp = '';
let lastStampMs = 0;

function onChunk(sub: Subscriber, chunk: string): void {
  const receivedAt = Date.now();
  const data = sub.pending === '' ? chunk : sub.pending + chunk;
  let pos = 0;
  for (let at = data.indexOf(MARKER); at !== -1; at = data.indexOf(MARKER, pos)) {
    const start = at + MARKER.length;
    if (start + STAMP_LENGTH > data.length) {
      sub.pending = data.slice(at);
      return;
    }
    const stamp = data.slice(start, start + STAMP_LENGTH);
    pos = start + STAMP_LENGTH;
    sub.gotFirst = true;
    if (stamp !== lastStamp) {
      lastStamp = stamp;
      lastStampMs = Date.parse(stamp);
    }
    if (lastStampMs < windowT0 || lastStampMs >= windowT1) continue;
    sub.inWindow++;
    const latency = receivedAt - lastStampMs;
    if (latency > maxMs) maxMs = latency;
    const bucket = Math.max(0, Math.floor(latency / HISTOGRAM_STEP_MS));
    if (bucket < HISTOGRAM_BUCKETS) histogram[bucket]!++;
    else overflow++;
  }
  if (data.includes('"errors"')) errors++;
  sub.pending = splitMarker(data, pos);
}

/** The end of `data` (after `pos`) that is the beginning of a marker split across chunks, or ''. */
function splitMarker(data: string, pos: number): string {
  for (const prefix of PREFIXES) {
    if (prefix.length <= data.length - pos && data.endsWith(prefix)) return prefix;
  }
  return '';
}

/**
 * One subscription over a raw TCP socket with a hand-written HTTP/1.1 request: node:http's client
 * (parser, IncomingMessage stream) cost ~28 µs per message here and made the load generator the
 * bottleneck at 100,000 messages/s on 2 CPUs. The chunked-encoding size lines stay in the text; they
 * never split an event (each is one write on both servers), and the scan only looks for markers.
 */
function subscribe(command: ConnectCommand, failures: string[]): Promise<Subscriber | null> {
  const url = new URL(command.url);
  const head = [
    `POST ${url.pathname} HTTP/1.1`,
    `host: ${url.host}`,
    'content-type: application/json',
    'accept: text/event-stream',
    `content-length: ${Buffer.byteLength(command.body)}`,
    ...Object.entries(command.headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  return new Promise((resolve) => {
    const socket = connectTcp({ host: url.hostname, port: Number(url.port), noDelay: true });
    socket.setEncoding('latin1');
    let headers = '';
    let sub: Subscriber | null = null;
    const fail = (reason: string) => {
      if (failures.length < 20) failures.push(reason);
      socket.destroy();
      resolve(null);
    };
    socket.setTimeout(command.timeoutMs, () => fail('no answer within the connect timeout'));
    socket.on('data', (chunk: string) => {
      if (sub) return onChunk(sub, chunk);
      headers += chunk;
      const end = headers.indexOf('\r\n\r\n');
      if (end === -1) return;
      if (!headers.startsWith('HTTP/1.1 200')) {
        // The refusal's body is in this chunk or the next: give it a moment.
        setTimeout(() => fail(headers.slice(0, 400).replace(/\r\n/g, ' | ')), 100);
        return;
      }
      // Answered: from here on the stream may be idle for as long as the upstream is.
      socket.setTimeout(0);
      sub = { socket, pending: '', inWindow: 0, gotFirst: false, ended: false };
      const current = sub;
      socket.on('close', () => {
        current.ended = true;
      });
      subscribers.push(sub);
      resolve(sub);
      const rest = headers.slice(end + 4);
      headers = '';
      if (rest !== '') onChunk(sub, rest);
    });
    socket.on('error', (err) => fail(err.message));
    socket.write(`${head}\r\n\r\n${command.body}`);
  });
}

async function connect(command: ConnectCommand): Promise<ReadyReport> {
  const started = Date.now();
  const failures: string[] = [];
  for (let done = 0; done < command.count && failures.length === 0; done += command.batch) {
    const size = Math.min(command.batch, command.count - done);
    await Promise.all(Array.from({ length: size }, () => subscribe(command, failures)));
    if (Date.now() - started > command.timeoutMs) {
      failures.push(`connect timeout after ${done + size} subscriptions`);
      break;
    }
  }
  return report(failures, started);
}

async function first(timeoutMs: number): Promise<ReadyReport> {
  const started = Date.now();
  while (subscribers.some((s) => !s.gotFirst) && Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return report([], started);
}

function report(failures: string[], started: number): ReadyReport {
  return {
    type: 'ready',
    connected: subscribers.length,
    withFirstEvent: subscribers.filter((s) => s.gotFirst).length,
    failures,
    connectMs: Date.now() - started,
  };
}

async function measure(command: WindowCommand): Promise<WindowReport> {
  histogram = new Uint32Array(HISTOGRAM_BUCKETS);
  overflow = 0;
  maxMs = 0;
  errors = 0;
  for (const sub of subscribers) sub.inWindow = 0;
  const wasEnded = subscribers.filter((s) => s.ended).length;
  windowT0 = command.t0;
  windowT1 = command.t1;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, command.t1 + command.graceMs - Date.now())));
  windowT0 = Number.POSITIVE_INFINITY;
  windowT1 = Number.NEGATIVE_INFINITY;
  const sparse: [number, number][] = [];
  histogram.forEach((count, bucket) => {
    if (count > 0) sparse.push([bucket, count]);
  });
  const counts = subscribers.map((s) => s.inWindow);
  return {
    type: 'result',
    messages: counts.reduce((sum, n) => sum + n, 0),
    histogram: sparse,
    overflow,
    maxMs,
    minPerSubscriber: counts.length ? Math.min(...counts) : 0,
    maxPerSubscriber: counts.length ? Math.max(...counts) : 0,
    ended: subscribers.filter((s) => s.ended).length - wasEnded,
    errors,
  };
}

function send(report: WorkerReport): void {
  process.send!(report);
}

process.on('message', (command: WorkerCommand) => {
  if (command.type === 'connect') void connect(command).then(send);
  else if (command.type === 'first') void first(command.timeoutMs).then(send);
  else if (command.type === 'window') void measure(command).then(send);
  else {
    for (const sub of subscribers.splice(0)) sub.socket.destroy();
    send({ type: 'closed' });
  }
});
process.on('disconnect', () => process.exit(0));
