/**
 * The live-data building blocks in process: the bounded subscriber queue (conflation, overflow) and
 * the topic hub (one feed per topic, resume after the last event, blips, permanent errors, giving up).
 */
import { describe, expect, it } from 'vitest';
import { createSubscriberQueue } from '../../src/streams/subscriber-queue.js';
import { createTopicHub } from '../../src/streams/topic-hub.js';

interface Tick {
  id: string;
  n: number;
}

const drain = async <T>(queue: AsyncIterator<T>, count: number): Promise<T[]> => {
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push((await queue.next()).value as T);
  return out;
};

describe('subscriber queue', () => {
  it('conflates: a slow subscriber gets the latest value per key, in first-arrival order', async () => {
    let conflated = 0;
    const queue = createSubscriberQueue<Tick>({ keyOf: (t) => t.id, onConflated: () => conflated++ });
    for (let n = 1; n <= 5; n++) {
      queue.push({ id: 'bitcoin', n });
      queue.push({ id: 'ethereum', n });
    }
    expect(queue.size).toBe(2);
    expect(conflated).toBe(8);
    expect(await drain(queue, 2)).toEqual([
      { id: 'bitcoin', n: 5 },
      { id: 'ethereum', n: 5 },
    ]);
  });

  it('never drops in strict mode: past capacity the subscriber fails with the overflow error', async () => {
    const queue = createSubscriberQueue<number>({ capacity: 3, overflow: () => new Error('behind') });
    for (let n = 1; n <= 3; n++) queue.push(n);
    expect(await drain(queue, 2)).toEqual([1, 2]);
    queue.push(4);
    queue.push(5);
    queue.push(6); // 3, 4, 5 wait: the fourth waiting event overflows
    await expect(queue.next()).rejects.toThrow('behind');
    expect(queue.closed).toBe(true);
  });

  it('hands a pushed value to a waiting consumer, ends after what waits, and closes once', async () => {
    let closes = 0;
    const queue = createSubscriberQueue<number>({ onClose: () => closes++ });
    const pending = queue.next();
    queue.push(1);
    expect(await pending).toEqual({ value: 1, done: false });
    queue.push(2);
    queue.end();
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    await queue.return?.();
    expect(closes).toBe(1);
  });

  it('resolves a waiting consumer when it returns (an idle subscriber can leave at once)', async () => {
    const queue = createSubscriberQueue<number>();
    const pending = queue.next();
    await queue.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});

/** A controllable upstream: each open() is a feed the test pushes into or fails. */
function fakeUpstream() {
  const opens: { topic: string; last: Tick | undefined; push(t: Tick): void; fail(e: Error): void }[] = [];
  const open = (topic: string, last: Tick | undefined, signal: AbortSignal): AsyncIterable<Tick> => {
    const queue = createSubscriberQueue<Tick>();
    signal.addEventListener('abort', () => queue.end(), { once: true });
    opens.push({ topic, last, push: (t) => queue.push(t), fail: (e) => queue.fail(e) });
    return queue;
  };
  return { opens, open };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('topic hub', () => {
  it('opens one feed per topic for any number of subscribers and closes it after the last', async () => {
    const upstream = fakeUpstream();
    const hub = createTopicHub<Tick>({
      name: 't',
      open: upstream.open,
      unavailable: () => new Error('down'),
    });
    const subscribers = Array.from({ length: 100 }, () => hub.subscribe(['bitcoin']));
    await tick();
    expect(upstream.opens).toHaveLength(1);
    upstream.opens[0]!.push({ id: 'bitcoin', n: 1 });
    for (const s of subscribers) expect((await s.next()).value).toEqual({ id: 'bitcoin', n: 1 });
    for (const s of subscribers) await s.return?.();
    expect(hub.feeds).toBe(0);
  });

  it('reconnects a dropped feed after the last event it received, unseen by subscribers', async () => {
    const upstream = fakeUpstream();
    let reconnects = 0;
    const hub = createTopicHub<Tick>({
      name: 't',
      open: upstream.open,
      unavailable: () => new Error('down'),
      initialBackoffMs: 1,
      observer: { feedReconnecting: () => reconnects++ },
    });
    const sub = hub.subscribe(['acc-1']);
    await tick();
    upstream.opens[0]!.push({ id: 'acc-1', n: 7 });
    expect((await sub.next()).value).toEqual({ id: 'acc-1', n: 7 });
    upstream.opens[0]!.fail(new Error('reset'));
    await tick();
    await tick();
    expect(reconnects).toBe(1);
    expect(upstream.opens[1]!.last).toEqual({ id: 'acc-1', n: 7 });
    upstream.opens[1]!.push({ id: 'acc-1', n: 8 });
    expect((await sub.next()).value).toEqual({ id: 'acc-1', n: 8 });
    await sub.return?.();
  });

  it('fails subscribers at once on a permanent error, and after downAfterMs of failures otherwise', async () => {
    const upstream = fakeUpstream();
    let now = 0;
    const hub = createTopicHub<Tick>({
      name: 't',
      open: upstream.open,
      isPermanent: (e) => (e as Error).message === 'unknown id',
      refused: () => new Error('refused'),
      unavailable: () => new Error('down'),
      initialBackoffMs: 1,
      downAfterMs: 1000,
      now: () => now,
    });
    const refused = hub.subscribe(['nope']);
    await tick();
    upstream.opens[0]!.fail(new Error('unknown id'));
    await expect(refused.next()).rejects.toThrow('refused');

    const waiting = hub.subscribe(['flaky']);
    await tick();
    upstream.opens[1]!.fail(new Error('reset'));
    await tick();
    now = 2000;
    upstream.opens[2]!.fail(new Error('reset'));
    await expect(waiting.next()).rejects.toThrow('down');
    expect(hub.feeds).toBe(0);
  });

  it('opens nothing while the source breaker is open, and opens once it closes', async () => {
    const upstream = fakeUpstream();
    let open = true;
    const hub = createTopicHub<Tick>({
      name: 't',
      open: upstream.open,
      blocked: () => open,
      unavailable: () => new Error('down'),
      initialBackoffMs: 1,
      maxBackoffMs: 2,
    });
    const sub = hub.subscribe(['bitcoin']);
    await tick();
    await tick();
    expect(upstream.opens).toHaveLength(0);
    open = false;
    await tick();
    await tick();
    expect(upstream.opens).toHaveLength(1);
    await sub.return?.();
  });
});
