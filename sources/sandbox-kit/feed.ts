/**
 * A ticking feed of per-id values for the SSE routes of a sandbox (prices, signals): on each tick
 * of the sandbox's shared timer every id that some stream follows advances once, and the new value
 * goes to every stream of that id, so two streams of `bitcoin` see the same price.
 */
import { badRequest, type JsonReply } from './http.js';
import type { AttachStream, EventStream } from './sse.js';

/** The streams of one SSE route and the values they follow. */
export interface TickFeed {
  /** What an accepted request of `ids` attaches. */
  attach(ids: readonly string[]): AttachStream;
  /** Advances every followed id once and sends the values; ids whose `next` is null send nothing. */
  tick(): void;
}

/** Creates a feed of `event` events whose data is `next(id)`, called once per id per tick. */
export function createTickFeed(event: string, next: (id: string) => unknown): TickFeed {
  const streams = new Set<{ ids: readonly string[]; stream: EventStream }>();
  return {
    attach: (ids) => (stream) => {
      const entry = { ids, stream };
      streams.add(entry);
      return () => {
        streams.delete(entry);
      };
    },
    tick() {
      const values = new Map<string, unknown>();
      for (const { ids } of streams) {
        for (const id of ids) if (!values.has(id)) values.set(id, next(id));
      }
      for (const { ids, stream } of streams) {
        for (const id of ids) {
          const value = values.get(id);
          if (value !== null && value !== undefined) stream.send(event, value);
        }
      }
    },
  };
}

/** The 1..`max` distinct ids of `?ids=`, every one well-formed and known, or the 400 saying what is wrong. */
export function streamIds(
  query: URLSearchParams,
  max: number,
  pattern: RegExp,
  known: (id: string) => boolean,
): readonly string[] | JsonReply {
  const raw = query.get('ids');
  const list = raw?.split(',') ?? [];
  if (!raw || list.length > max) return badRequest(`ids must hold 1..${max} token ids`);
  const malformed = list.find((id) => !pattern.test(id));
  if (malformed !== undefined) return badRequest(`malformed token id "${malformed.slice(0, 64)}"`);
  const unknown = list.find((id) => !known(id));
  if (unknown !== undefined) return badRequest(`unknown token id "${unknown}"`);
  return [...new Set(list)];
}
