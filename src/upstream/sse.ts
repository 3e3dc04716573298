/**
 * An incremental parser of `text/event-stream` (the WHATWG HTML "Server-sent events" interpretation
 * rules): lines end in CRLF, LF or CR (also when a CRLF is split between chunks), `:` starts a
 * comment, one leading space of a value is dropped, `data` lines join with LF, a blank line
 * dispatches, an event without data is not dispatched, the last event id carries over to later
 * events, an id containing NUL is ignored, and a leading BOM is skipped. No maintained parser is
 * installed in this repository, hence this one.
 */
import type { ZodType } from 'zod';

/** One dispatched event. */
export interface SseEvent {
  /** The `event` field; `message` when absent. */
  event: string;
  data: string;
  /** The last event id seen on the stream, when one was set and not cleared. */
  id?: string;
}

/** Options of `createSseParser`. */
export interface SseParserOptions {
  /** Most characters one event (or one line) may buffer before the stream is refused. @default 1 MiB */
  maxEventChars?: number;
}

/** Feeds decoded text in; returns the events completed by each chunk. */
export interface SseParser {
  /** Parses `chunk` (any split of the stream); throws when an event exceeds `maxEventChars`. */
  push(chunk: string): SseEvent[];
}

/** Creates a parser for one stream. */
export function createSseParser({ maxEventChars = 1024 * 1024 }: SseParserOptions = {}): SseParser {
  let started = false;
  let pending = '';
  // A CR ended the last chunk: an LF opening the next one belongs to it.
  let skipLf = false;
  let data: string[] = [];
  let dataChars = 0;
  let eventType = '';
  let lastId = '';

  function line(text: string, out: SseEvent[]): void {
    if (text === '') {
      if (data.length > 0) {
        const event: SseEvent = { event: eventType || 'message', data: data.join('\n') };
        if (lastId !== '') event.id = lastId;
        out.push(event);
      }
      data = [];
      dataChars = 0;
      eventType = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        data.push(value);
        dataChars += value.length + 1;
        if (dataChars > maxEventChars) throw new RangeError(`SSE event exceeds ${maxEventChars} characters`);
        return;
      case 'event':
        eventType = value;
        return;
      case 'id':
        if (!value.includes('\0')) lastId = value;
        return;
      default:
        // `retry` and unknown fields: nothing this client uses (reconnection is the caller's).
        return;
    }
  }

  return {
    push(chunk) {
      let text = chunk;
      if (!started && text.length > 0) {
        started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (skipLf && text.startsWith('\n')) text = text.slice(1);
      skipLf = false;
      const out: SseEvent[] = [];
      let buffer = pending + text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer.charCodeAt(i);
        if (char !== 0x0a && char !== 0x0d) continue;
        line(buffer.slice(start, i), out);
        if (char === 0x0d) {
          if (i + 1 === buffer.length) skipLf = true;
          else if (buffer.charCodeAt(i + 1) === 0x0a) i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      if (buffer.length > maxEventChars) throw new RangeError(`SSE line exceeds ${maxEventChars} characters`);
      pending = buffer;
      return out;
    },
  };
}

/** The JSON data of an event if it matches `schema`; undefined when it is not JSON or not that shape. */
export function parseEventJson<T>(schema: ZodType<T>, data: string): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
