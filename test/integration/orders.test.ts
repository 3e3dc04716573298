import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, type TradingSandbox } from '../helpers/gateway.js';

const PLACE = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) { id accountId status clientOrderId quantity limitPrice token { id symbol price { usd } } }
  }
`;

describe('orders through the gateway', () => {
  let gateway: TestGateway;
  let trading: TradingSandbox;
  beforeAll(async () => {
    gateway = await startTestGateway();
    trading = gateway.trading;
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('places a LIMIT order once, and a retry with the same clientOrderId returns the same order', async () => {
    const input = {
      accountId: 'acc-1',
      tokenId: 'ethereum',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '1.5',
      limitPrice: '3000',
      clientOrderId: 'it-retry-1',
    };
    const before = trading.orders().length;
    const first = await gateway.signed(PLACE, { input });
    const retry = await gateway.signed(PLACE, { input });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data?.placeOrder).toMatchObject({
      accountId: 'acc-1',
      status: 'OPEN',
      clientOrderId: 'it-retry-1',
      quantity: '1.5',
      limitPrice: '3000',
      token: { id: 'ethereum', symbol: 'ETH', price: { usd: '3412.75' } },
    });
    expect(retry.body.data?.placeOrder).toEqual(first.body.data?.placeOrder);
    expect(trading.orders().length).toBe(before + 1);
  });

  it("refuses to place an order on another user's account before calling trading", async () => {
    const calls = trading.control.stats.byRoute.PlaceOrder ?? 0;
    const reply = await gateway.signed(PLACE, {
      input: {
        accountId: 'acc-4',
        tokenId: 'bitcoin',
        side: 'SELL',
        type: 'MARKET',
        quantity: '1',
        clientOrderId: 'it-2',
      },
    });
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(trading.control.stats.byRoute.PlaceOrder ?? 0).toBe(calls);
  });

  it('cancels an own open order', async () => {
    const reply = await gateway.signed(`mutation { cancelOrder(id: "ord-1") { id status } }`);
    expect(reply.body.data?.cancelOrder).toEqual({ id: 'ord-1', status: 'CANCELLED' });
  });
});
