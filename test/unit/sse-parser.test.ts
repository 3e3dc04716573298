import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSseParser, parseEventJson, type SseEvent } from '../../src/upstream/sse.js';

/** Feeds `chunks` to one parser and returns every event. */
function parse(...chunks: string[]): SseEvent[] {
  const parser = createSseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe('SSE parser', () => {
  it('dispatches an event on a blank line with its type, data and id', () => {
    expect(parse('event: price\nid: 7\ndata: {"a":1}\n\n')).toEqual([
      { event: 'price', id: '7', data: '{"a":1}' },
    ]);
  });

  it('defaults the type to message and joins data lines with LF', () => {
    expect(parse('data: one\ndata:two\ndata\n\n')).toEqual([{ event: 'message', data: 'one\ntwo\n' }]);
  });

  it('accepts CRLF and lone CR line endings, also split between chunks', () => {
    expect(parse('data: a\r', '\n\r', '\ndata: b\r\rdata: c\r\n', '\r\n')).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
      { event: 'message', data: 'c' },
    ]);
  });

  it('ignores comments, unknown fields and events without data', () => {
    expect(parse(': ping\n\nretry: 10\nfoo: bar\n\nevent: x\n\ndata: y\n\n')).toEqual([
      { event: 'message', data: 'y' },
    ]);
  });

  it('keeps the last id for later events and ignores an id containing NUL', () => {
    expect(parse('id: 1\ndata: a\n\ndata: b\n\nid: 2\u0000\ndata: c\n\nid\ndata: d\n\n')).toEqual([
      { event: 'message', id: '1', data: 'a' },
      { event: 'message', id: '1', data: 'b' },
      { event: 'message', id: '1', data: 'c' },
      { event: 'message', data: 'd' },
    ]);
  });

  it('drops only one leading space of a value, and a leading BOM of the stream', () => {
    expect(parse('\ufeffdata:  two spaces\n\n')).toEqual([{ event: 'message', data: ' two spaces' }]);
  });

  it('holds an event split at any byte until its blank line', () => {
    const text = 'event: price\ndata: {"x":"é"}\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      expect(parse(text.slice(0, cut), text.slice(cut))).toEqual([{ event: 'price', data: '{"x":"é"}' }]);
    }
  });

  it('discards an unterminated event at the end of the stream', () => {
    expect(parse('data: half')).toEqual([]);
  });

  it('refuses an event larger than the limit', () => {
    const parser = createSseParser({ maxEventChars: 10 });
    expect(() => parser.push('data: 0123456789abc\n')).toThrow(RangeError);
    expect(() => createSseParser({ maxEventChars: 10 }).push('data: 0123456789abc')).toThrow(RangeError);
  });

  it('parses JSON data against a schema, undefined for bad JSON or a wrong shape', () => {
    const schema = z.object({ n: z.number() });
    expect(parseEventJson(schema, '{"n":1}')).toEqual({ n: 1 });
    expect(parseEventJson(schema, '{"n":"1"}')).toBeUndefined();
    expect(parseEventJson(schema, '{n')).toBeUndefined();
  });
});
