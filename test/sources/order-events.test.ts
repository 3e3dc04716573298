/**
 * The gateway's order-event feed over the real trading sandbox: one shared upstream stream per
 * account, resume from an old cursor through a stream of the subscriber's own that hands over to the
 * shared one, and a subscriber too far behind ended with SLOW_CONSUMER instead of losing events.
 */
import type { GraphQLError } from 'graphql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTradingClient, type TradingClient, tradingService } from '../../sources/trading/client.js';
import type { PlaceOrderInput } from '../../sources/trading/messages.js';
import { createOrderEventFeed, type OrderUpdate } from '../../sources/trading/order-events.js';
import { startTradingSandbox, type TradingSandbox } from '../../sources/trading/sandbox/server.js';
import { createGrpcUpstream, type GrpcUpstream } from '../../src/upstream/grpc.js';
import { noResilience } from '../../src/upstream/resilience.js';
import { eventually } from './sse-reader.js';

let sandbox: TradingSandbox;
let upstream: GrpcUpstream;
let client: TradingClient;
const streams = () => sandbox.control.stats.streams;

beforeEach(async () => {
  sandbox = await startTradingSandbox();
  upstream = createGrpcUpstream(tradingService, {
    name: 'trading',
    address: sandbox.target,
    deadlineMs: 500,
    resilience: noResilience,
  });
  client = createTradingClient(upstream);
});

afterEach(async () => {
  upstream?.close();
  await sandbox?.close();
});

let orders = 0;
const place = async (): Promise<string> => {
  const input: PlaceOrderInput = {
    accountId: 'acc-1',
    tokenId: 'bitcoin',
    side: 'BUY',
    type: 'LIMIT',
    quantity: '1',
    limitPrice: '100',
    clientOrderId: `feed-${++orders}`,
  };
  return (await client.placeOrder(input)).id;
};

async function take(queue: AsyncIterator<OrderUpdate>, count: number): Promise<OrderUpdate[]> {
  const out: OrderUpdate[] = [];
  for (let i = 0; i < count; i++) {
    const step = await queue.next();
    if (step.done) throw new Error('ended');
    out.push(step.value);
  }
  return out;
}

describe('order-event feed', () => {
  it('shares one upstream stream among the subscribers of an account', async () => {
    const feed = createOrderEventFeed(client);
    const subscribers = [
      feed.subscribe('acc-1', null),
      feed.subscribe('acc-1', null),
      feed.subscribe('acc-1', null),
    ];
    await eventually(() => streams().open === 1);
    const id = await place();
    for (const queue of subscribers) expect((await take(queue, 1))[0]!.order.id).toBe(id);
    expect(streams().opened).toBe(1);
    for (const queue of subscribers) await queue.return?.();
    await eventually(() => streams().open === 0);
    feed.close();
  });

  it('replays an old cursor on a stream of its own, then hands over to the shared stream', async () => {
    // Placed before this instance followed the account: older than anything its shared stream holds.
    const before = [await place(), await place()];
    const feed = createOrderEventFeed(client);
    const live = feed.subscribe('acc-1', null);
    await eventually(() => streams().open === 1);

    const resumed = feed.subscribe('acc-1', 0n);
    const replayed = await take(resumed, 2);
    expect(replayed.map((u) => u.order.id)).toEqual(before);
    // The replay reached what the shared stream covers: its own stream was opened, then closed.
    await eventually(() => streams().open === 1);
    expect(streams().opened).toBe(2);
    const after = await place();
    expect((await take(resumed, 1))[0]!.order.id).toBe(after);
    expect((await take(live, 1))[0]!.order.id).toBe(after);
    await live.return?.();
    await resumed.return?.();
    feed.close();
  });

  it('ends a subscriber that falls more than its capacity behind with SLOW_CONSUMER, never dropping silently', async () => {
    const feed = createOrderEventFeed(client, { capacity: 3 });
    const slow = feed.subscribe('acc-1', null);
    const fast = feed.subscribe('acc-1', null);
    await eventually(() => streams().open === 1);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await place());
      // The fast subscriber keeps up: it reads each event as it comes.
      expect((await take(fast, 1))[0]!.order.id).toBe(ids.at(-1));
    }
    const error = (await slow.next().catch((e: unknown) => e)) as GraphQLError;
    expect(error.extensions?.code).toBe('SLOW_CONSUMER');
    await fast.return?.();
    feed.close();
  });
});
