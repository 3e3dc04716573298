import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../sources/sandbox-kit/types.js';
import { tokens } from '../../sources/sandbox-kit/universe.js';
import { createSignalsClient, type SignalsClient } from '../../sources/signals/client.js';
import { signalFor } from '../../sources/signals/sandbox/data.js';
import { SIGNAL_STREAM_ROUTE, startSignalsSandbox } from '../../sources/signals/sandbox/server.js';
import type { SignalTick } from '../../sources/signals/types.js';
import { createHttpUpstream, type HttpUpstream } from '../../src/upstream/http.js';
import { noResilience } from '../../src/upstream/resilience.js';
import { eventData, eventually, openRaw } from './sse-reader.js';

const NOW = new Date('2026-11-29T20:00:00.000Z');

let sandbox: RunningSandbox;
let upstream: HttpUpstream;
let client: SignalsClient;
const streams = () => sandbox.control.stats.streams;

const withSignal = tokens.filter((t) => signalFor(t.id) !== null).map((t) => t.id);
const withoutSignal = tokens.find((t) => signalFor(t.id) === null)?.id ?? '';

beforeAll(async () => {
  sandbox = await startSignalsSandbox({ now: () => NOW });
  upstream = createHttpUpstream({
    name: 'signals',
    url: sandbox.target,
    timeoutMs: 500,
    resilience: noResilience,
  });
  client = createSignalsClient(upstream);
});

afterEach(async () => {
  await eventually(() => streams().open === 0);
  sandbox.control.reset();
});

afterAll(async () => {
  await upstream?.close();
  await sandbox?.close();
});

const expectedRating = (score: number) => (score >= 60 ? 'BULLISH' : score <= 40 ? 'BEARISH' : 'NEUTRAL');

describe('signals sandbox signal stream', () => {
  it.each([
    ['no ids', '', 'ids must hold 1..100 token ids'],
    ['a malformed id', '?ids=Bad!', 'malformed token id "Bad!"'],
    ['an unknown id', '?ids=bitcoin,no-such-coin', 'unknown token id "no-such-coin"'],
  ])('refuses %s with a 400 naming the problem', async (_, query, message) => {
    const response = await fetch(`${sandbox.target}/v1/stream/signals${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'bad_request', message });
  });

  it('streams signal events moving from the REST score, rating following the score', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 0 });
    const [a, b] = withSignal;
    const raw = await openRaw(`${sandbox.target}/v1/stream/signals?ids=${a},${b},${withoutSignal}`);
    try {
      expect(raw.headers.get('content-type')).toBe('text/event-stream');
      await eventually(() => streams().open === 1);
      sandbox.control.tick();
      sandbox.control.tick();
      const text = await raw.until((t) => t.split('event: signal').length - 1 === 4);
      const ticks = eventData(text, 'signal') as SignalTick[];
      // The token without a signal never ticks.
      expect(ticks.map((t) => t.tokenId)).toEqual([a, b, a, b]);
      for (const tick of ticks) {
        expect(tick).toEqual({
          tokenId: tick.tokenId,
          rating: expectedRating(tick.score),
          score: expect.any(Number),
          updatedAt: NOW.toISOString(),
        });
        expect(Number.isInteger(tick.score) && tick.score >= 0 && tick.score <= 100).toBe(true);
      }
      expect(Math.abs((ticks[0]?.score ?? -99) - (signalFor(a ?? '')?.score ?? 0))).toBeLessThanOrEqual(3);
      expect(streams()).toEqual({ open: 1, opened: 1, byRoute: { [SIGNAL_STREAM_ROUTE]: 1 } });
    } finally {
      raw.close();
    }
  });
});

describe('signals client streamSignals', () => {
  it('yields typed signal ticks and closes the stream on abort', async () => {
    sandbox.control.setFaults({ ticksPerSecond: 100 });
    const controller = new AbortController();
    const seen: SignalTick[] = [];
    await expect(
      (async () => {
        for await (const tick of client.streamSignals([withSignal[0] ?? ''], controller.signal)) {
          seen.push(tick);
          if (seen.length === 3) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', detail: 'aborted by the client' });
    expect(seen).toHaveLength(3);
    expect(seen.every((t) => t.tokenId === withSignal[0] && t.rating === expectedRating(t.score))).toBe(true);
    await eventually(() => streams().open === 0);
  });

  it('refuses an unknown token with BAD_USER_INPUT', async () => {
    const iteration = client
      .streamSignals(['no-such-coin'], new AbortController().signal)
      [Symbol.asyncIterator]();
    await expect(iteration.next()).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
