import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwitchyardClient, ed25519SigningKey } from '../../src/client/index.js';
import { startTestGateway, type TestGateway, type TradingSandbox } from '../helpers/gateway.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id clientOrderId } }`;
const PORTFOLIO = `{ portfolio(accountId: "acc-1") { accountId } }`;
const input = (clientOrderId: string) => ({
  input: {
    accountId: 'acc-1',
    tokenId: 'ethereum',
    side: 'BUY',
    type: 'MARKET',
    quantity: '0.5',
    clientOrderId,
  },
});

describe('client SDK against the running gateway', () => {
  let gateway: TestGateway;
  let trading: TradingSandbox;

  beforeAll(async () => {
    gateway = await startTestGateway();
    trading = gateway.trading;
  });
  afterAll(async () => {
    await gateway.close();
  });

  /** A trading key of user-1 with an Ed25519 signing credential. */
  async function tradingKey(clientId = 'user-1') {
    const pair = generateKeyPairSync('ed25519');
    const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const created = await gateway.running.keys.create(
      {
        clientId,
        name: 'bot',
        scopes: ['portfolio:read', 'trade:write'],
        allowedCidrs: ['127.0.0.0/8', '::1/128'],
        signing: { type: 'ed25519', publicKey },
      },
      'test',
    );
    return { ...created, privateKey: pair.privateKey };
  }

  it('queries, and places a signed order', async () => {
    const key = await tradingKey();
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key.key,
      signingKey: ed25519SigningKey(key.record.keyId, key.privateKey),
    });
    expect((await client.request(PORTFOLIO)).data).toEqual({ portfolio: { accountId: 'acc-1' } });
    const placed = await client.request(PLACE, input(`sdk-${randomUUID().slice(0, 8)}`));
    expect(placed.errors).toBeUndefined();
  });

  it('corrects a client clock two minutes behind from the Date header', async () => {
    const key = await tradingKey();
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key.key,
      signingKey: ed25519SigningKey(key.record.keyId, key.privateKey),
      now: () => Date.now() - 120_000,
    });
    await client.request(PORTFOLIO); // any answer carries the server's Date
    expect(client.clockOffsetMs()).toBeGreaterThan(118_000);
    const placed = await client.request(PLACE, input(`clock-${randomUUID().slice(0, 8)}`));
    expect(placed.errors).toBeUndefined();
  });

  it('retries a signed placeOrder after an ambiguous timeout and gets one order', async () => {
    const key = await tradingKey();
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key.key,
      signingKey: ed25519SigningKey(key.record.keyId, key.privateKey),
      retryDelayMs: 50,
    });
    const clientOrderId = `amb-${randomUUID().slice(0, 8)}`;
    const before = trading.orders().filter((o) => o.clientOrderId === clientOrderId).length;
    trading.control.setFaults({ latencyMs: 700 }); // over the gateway's 400 ms deadline; the sandbox still places it
    const fault = setTimeout(() => trading.control.setFaults({ latencyMs: 0 }), 600);
    const placed = await client.request(PLACE, input(clientOrderId));
    clearTimeout(fault);
    trading.control.setFaults({ latencyMs: 0 });
    expect(placed.errors).toBeUndefined();
    expect((placed.data as { placeOrder: { clientOrderId: string } }).placeOrder.clientOrderId).toBe(
      clientOrderId,
    );
    expect(trading.orders().filter((o) => o.clientOrderId === clientOrderId).length - before).toBe(1);
  });

  it('completes a key rotation (old key in grace, then the new key) with no failed request', async () => {
    const old = await tradingKey();
    const rotation = await gateway.running.keys.rotate(old.record.keyId, 2, 'test');
    const switched: string[] = [];
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: old.key,
      signingKey: ed25519SigningKey(old.record.keyId, old.privateKey),
      next: { apiKey: rotation.key, signingKey: ed25519SigningKey(rotation.record.keyId, old.privateKey) },
      onKeySwitch: (keyId) => switched.push(keyId),
    });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the record cache: the old key is now seen in grace
    const failures: unknown[] = [];
    const deadline = Date.now() + 3500;
    let requests = 0;
    while (Date.now() < deadline) {
      const result =
        requests % 3 === 2
          ? await client.request(PLACE, input(`rot-${randomUUID().slice(0, 8)}`))
          : await client.request(PORTFOLIO);
      requests++;
      if (result.errors) failures.push(result.errors);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(10);
    expect(switched).toEqual([rotation.record.keyId]);
    expect(client.currentApiKey()).toBe(rotation.key);
  });

  it('switches to the next key on KEY_EXPIRED and repeats the request once', async () => {
    const old = await tradingKey('user-2');
    const rotation = await gateway.running.keys.rotate(old.record.keyId, 0, 'test');
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: old.key,
      signingKey: ed25519SigningKey(old.record.keyId, old.privateKey),
      next: { apiKey: rotation.key, signingKey: ed25519SigningKey(rotation.record.keyId, old.privateKey) },
    });
    const result = await client.request(`{ portfolio(accountId: "acc-4") { accountId } }`);
    expect(result.errors).toBeUndefined();
    expect(client.currentApiKey()).toBe(rotation.key);
  });
});
