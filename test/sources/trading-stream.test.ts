import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTradingClient, type TradingClient, tradingService } from '../../sources/trading/client.js';
import type { OrderEvent, PlaceOrderInput } from '../../sources/trading/messages.js';
import { startTradingSandbox, type TradingSandbox } from '../../sources/trading/sandbox/server.js';
import { createGrpcUpstream, type GrpcUpstream } from '../../src/upstream/grpc.js';
import { noResilience } from '../../src/upstream/resilience.js';
import { eventually } from './sse-reader.js';

let sandbox: TradingSandbox;
let upstream: GrpcUpstream;
let client: TradingClient;
let controller: AbortController;
const streams = () => sandbox.control.stats.streams;

// A fresh sandbox per test: the order log is state, and sequences are asserted.
beforeEach(async () => {
  sandbox = await startTradingSandbox();
  upstream = createGrpcUpstream(tradingService, {
    name: 'trading',
    address: sandbox.target,
    deadlineMs: 500,
    resilience: noResilience,
  });
  client = createTradingClient(upstream);
  controller = new AbortController();
});

afterEach(async () => {
  controller.abort();
  upstream?.close();
  await sandbox?.close();
});

const limitOrder = (accountId: string, clientOrderId: string): PlaceOrderInput => ({
  accountId,
  tokenId: 'bitcoin',
  side: 'BUY',
  type: 'LIMIT',
  quantity: '0.5',
  limitPrice: '50000',
  clientOrderId,
});

/** The iterator of a stream of `accountId`, for step-by-step reads. */
const follow = (accountId: string, from: { afterSequence: string } | 'head', signal = controller.signal) =>
  client.streamOrderEvents(accountId, from, signal)[Symbol.asyncIterator]();

async function next(events: AsyncIterator<OrderEvent>): Promise<OrderEvent> {
  const result = await events.next();
  if (result.done) throw new Error('stream ended');
  return result.value;
}

const summary = (event: OrderEvent) => [event.sequence, event.order?.id ?? null, event.order?.status ?? null];

describe('trading StreamOrderEvents', () => {
  it('starts at the head with a marker, then streams placed and cancelled orders live with increasing sequences', async () => {
    const events = follow('acc-1', 'head');
    expect(await next(events)).toEqual({ sequence: '0', order: null });
    await eventually(() => streams().open === 1);
    const placed = await client.placeOrder(limitOrder('acc-1', 'live-1'));
    await client.placeOrder(limitOrder('acc-2', 'other-account'));
    await client.cancelOrder(placed.id);
    const first = await next(events);
    expect(first).toEqual({ sequence: '1', order: placed });
    // acc-2's event (sequence 2) is not this account's: a gap.
    expect(summary(await next(events))).toEqual(['3', placed.id, 'CANCELLED']);
    expect(streams()).toEqual({ open: 1, opened: 1, byRoute: { StreamOrderEvents: 1 } });
    expect(sandbox.control.stats.byRoute.StreamOrderEvents).toBe(1);
  });

  it('replays the events after a sequence, then marks the head, then goes live', async () => {
    const a = await client.placeOrder(limitOrder('acc-1', 'r-1'));
    await client.placeOrder(limitOrder('acc-2', 'r-2'));
    const c = await client.placeOrder(limitOrder('acc-1', 'r-3'));
    await client.cancelOrder(a.id);
    // An idempotent replay of PlaceOrder appends nothing.
    await client.placeOrder(limitOrder('acc-1', 'r-1'));
    expect(sandbox.events().map((e) => e.sequence)).toEqual(['1', '2', '3', '4']);

    const all = follow('acc-1', { afterSequence: '0' });
    expect([await next(all), await next(all), await next(all), await next(all)].map(summary)).toEqual([
      ['1', a.id, 'OPEN'],
      ['3', c.id, 'OPEN'],
      ['4', a.id, 'CANCELLED'],
      ['4', null, null],
    ]);
    const after = follow('acc-1', { afterSequence: '3' });
    expect([await next(after), await next(after)].map(summary)).toEqual([
      ['4', a.id, 'CANCELLED'],
      ['4', null, null],
    ]);
    const d = await client.placeOrder(limitOrder('acc-1', 'r-5'));
    expect(summary(await next(after))).toEqual(['5', d.id, 'OPEN']);
    expect(summary(await next(all))).toEqual(['5', d.id, 'OPEN']);
  });

  it('sends a marker every heartbeat while idle', async () => {
    sandbox.control.setFaults({ heartbeatMs: 30 });
    const events = follow('acc-3', 'head');
    const markers = [await next(events), await next(events), await next(events)];
    expect(markers).toEqual([
      { sequence: '0', order: null },
      { sequence: '0', order: null },
      { sequence: '0', order: null },
    ]);
  });

  it('refuses an unknown account with BAD_USER_INPUT, and a malformed cursor before any call', async () => {
    await expect(next(follow('acc-404', 'head'))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      status: 3,
    });
    const total = sandbox.control.stats.total;
    await expect(next(follow('acc-1', { afterSequence: '-1' }))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    await expect(next(follow('acc-1', { afterSequence: '18446744073709551616' }))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(sandbox.control.stats.total).toBe(total);
    expect(streams().open).toBe(0);
  });

  it('cancels the upstream call when the signal aborts or the consumer leaves', async () => {
    const own = new AbortController();
    const events = follow('acc-1', 'head', own.signal);
    await next(events);
    await eventually(() => streams().open === 1);
    const pending = events.next();
    own.abort();
    await expect(pending).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    await eventually(() => streams().open === 0);

    for await (const event of client.streamOrderEvents('acc-1', 'head', controller.signal)) {
      expect(event.order).toBeNull();
      break;
    }
    await eventually(() => streams().open === 0);
    expect(streams().opened).toBe(2);
  });

  it('ends open streams with UNAVAILABLE on a drop and on an outage, and refuses new ones during the outage', async () => {
    const dropped = follow('acc-1', 'head');
    await next(dropped);
    await eventually(() => streams().open === 1);
    const response = await fetch(`${sandbox.adminUrl}/streams/drop`, { method: 'POST' });
    expect(await response.json()).toEqual({ dropped: 1 });
    await expect(next(dropped)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 14 });

    const cut = follow('acc-1', 'head');
    await next(cut);
    sandbox.control.setFaults({ outage: 'error' });
    await expect(next(cut)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 14 });
    await expect(next(follow('acc-1', 'head'))).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      status: 14,
    });
    expect(streams()).toEqual({ open: 0, opened: 2, byRoute: {} });
  });

  it('fails with UPSTREAM_TIMEOUT when no message, not even a marker, arrives within the idle limit', async () => {
    sandbox.control.setFaults({ heartbeatMs: 60_000 });
    const quiet = createGrpcUpstream(tradingService, {
      name: 'trading',
      address: sandbox.target,
      streamIdleTimeoutMs: 150,
    });
    try {
      const events = createTradingClient(quiet)
        .streamOrderEvents('acc-1', 'head', controller.signal)
        [Symbol.asyncIterator]();
      expect(await next(events)).toEqual({ sequence: '0', order: null });
      await expect(next(events)).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
      await eventually(() => streams().open === 0);
    } finally {
      quiet.close();
    }
  });
});
