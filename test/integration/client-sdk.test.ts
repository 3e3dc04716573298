/**
 * @switchyard/client (packages/client, from source) against a running gateway: signed orders with
 * Ed25519 and HMAC-SHA256 on WebCrypto, clock correction, safe retries, 429 and Retry-After, key
 * rotation, and an order stream that resumes from its last cursor after a drop. Also pins the
 * signer to RFC 9421's published vectors and to the gateway's own verifier.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSwitchyardClient,
  ed25519SigningKey,
  hmacSigningKey,
  orderUpdates,
  signRequest,
  WebPlaceOrderDocument,
} from '../../packages/client/src/index.js';
import { signedMessageOf } from '../../src/signing/request.js';
import { hmacSha256Key, verifyMessageSignature } from '../../src/signing/verify.js';
import { startTestGateway, type TestGateway, type TradingSandbox } from '../helpers/gateway.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id clientOrderId } }`;
const PORTFOLIO = `{ portfolio(accountId: "acc-1") { accountId } }`;
const input = (clientOrderId: string) => ({
  input: {
    accountId: 'acc-1',
    tokenId: 'ethereum',
    side: 'BUY' as const,
    type: 'MARKET' as const,
    quantity: '0.5',
    clientOrderId,
  },
});

describe('RFC 9421 signing on WebCrypto', () => {
  // RFC 9421 Appendix B.2.5 and B.2.6 (../shared/reference/rfc9421-vectors.md).
  const params = (components: string, keyid: string) => `(${components});created=1618884473;keyid="${keyid}"`;

  it('reproduces the RFC 9421 B.2.6 Ed25519 signature byte for byte', async () => {
    const components = '"date" "@method" "@path" "@authority" "content-type" "content-length"';
    const base = [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@authority": example.com',
      '"content-type": application/json',
      '"content-length": 18',
      `"@signature-params": ${params(components, 'test-key-ed25519')}`,
    ].join('\n');
    const key = ed25519SigningKey(
      'test-key-ed25519',
      'MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF',
    );
    const signature = Buffer.from(await key.sign(new TextEncoder().encode(base))).toString('base64');
    expect(signature).toBe(
      'wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==',
    );
  });

  it('reproduces the RFC 9421 B.2.5 HMAC-SHA256 signature', async () => {
    const base = [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@authority": example.com',
      '"content-type": application/json',
      `"@signature-params": ${params('"date" "@authority" "content-type"', 'test-shared-secret')}`,
    ].join('\n');
    const key = hmacSigningKey(
      'test-shared-secret',
      'uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==',
    );
    const signature = Buffer.from(await key.sign(new TextEncoder().encode(base))).toString('base64');
    expect(signature).toBe('pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=');
  });

  it("passes the gateway's verifier for a URL with a query and a non-ASCII body, and fails it when tampered", async () => {
    const secret = randomBytes(32);
    const url = 'http://127.0.0.1:4000/graphql?op=Place';
    const body = JSON.stringify({ query: PLACE, variables: { note: 'ordre à cours limité €' } });
    const headers = await signRequest({
      method: 'POST',
      url,
      body,
      contentType: 'application/json',
      key: hmacSigningKey('k1', new Uint8Array(secret)),
      created: 1_700_000_000,
    });
    expect(headers['signature-input']).toMatch(
      /^sig=\("@method" "@authority" "@path" "@query" "content-digest" "content-type"\);created=1700000000;keyid="k1";nonce="[\w-]{22}";alg="hmac-sha256"$/,
    );
    const verify = (request: Request) =>
      verifyMessageSignature(
        signedMessageOf(request, 0),
        async () => hmacSha256Key(secret),
        { components: ['@method', '@authority', '@path', 'content-digest'], maxAgeSeconds: 30 },
        1_700_000_001_000,
      );
    const request = (extra: Record<string, string> = {}) =>
      new Request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers, ...extra },
      });
    await expect(verify(request())).resolves.toMatchObject({ keyId: 'k1', created: 1_700_000_000 });
    await expect(verify(request({ 'content-type': 'text/plain' }))).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });
});

describe('client SDK against the running gateway', () => {
  let gateway: TestGateway;
  let trading: TradingSandbox;
  /** user-1's trading key for the tests that need no key of their own (a client holds at most 5). */
  let shared: Awaited<ReturnType<typeof tradingKey>>;

  beforeAll(async () => {
    gateway = await startTestGateway();
    trading = gateway.trading;
    shared = await tradingKey();
  });
  afterAll(async () => {
    await gateway.close();
  });

  /** A trading key of a user with an Ed25519 signing credential (private key as PKCS#8 DER). */
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
    return { ...created, privateKey: pair.privateKey.export({ format: 'der', type: 'pkcs8' }) };
  }

  it('queries, and places a signed order', async () => {
    const key = shared;
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key.key,
      signingKey: ed25519SigningKey(key.record.keyId, key.privateKey),
    });
    expect((await client.request(PORTFOLIO)).data).toEqual({ portfolio: { accountId: 'acc-1' } });
    const placed = await client.request(PLACE, input(`sdk-${randomUUID().slice(0, 8)}`));
    expect(placed.errors).toBeUndefined();
  });

  it('places an order signed with HMAC-SHA256 through the typed placeOrder, twice with one clientOrderId', async () => {
    const secret = randomBytes(32).toString('base64');
    const { key, record } = await gateway.running.keys.create(
      {
        clientId: 'user-1',
        name: 'hmac-bot',
        scopes: ['portfolio:read', 'trade:write'],
        allowedCidrs: ['127.0.0.0/8', '::1/128'],
        signing: { type: 'hmac-sha256', secret },
      },
      'test',
    );
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key,
      signingKey: hmacSigningKey(record.keyId, secret),
    });
    const order = {
      accountId: 'acc-1',
      tokenId: 'bitcoin',
      side: 'BUY',
      type: 'MARKET',
      quantity: '0.01',
    } as const;
    const first = await client.placeOrder(order);
    expect(first.errors).toBeUndefined();
    expect(first.data?.placeOrder.clientOrderId).toBe(first.clientOrderId);
    expect(first.data?.placeOrder.token.id).toBe('bitcoin');
    const again = await client.placeOrder({ ...order, clientOrderId: first.clientOrderId });
    expect(again.data?.placeOrder.id).toBe(first.data?.placeOrder.id);
    expect(trading.orders().filter((o) => o.clientOrderId === first.clientOrderId)).toHaveLength(1);
  });

  it('refuses to send a mutation without a signing key', async () => {
    const key = shared;
    const client = createSwitchyardClient({ url: gateway.url, apiKey: key.key });
    await expect(client.request(WebPlaceOrderDocument, input('nosig-1'))).rejects.toThrow(/signingKey/);
  });

  it('corrects a client clock two minutes behind from the Date header (key given as a Node KeyObject)', async () => {
    const key = shared;
    const keyObject = createPrivateKey({ key: Buffer.from(key.privateKey), format: 'der', type: 'pkcs8' });
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key.key,
      signingKey: ed25519SigningKey(key.record.keyId, keyObject),
      now: () => Date.now() - 120_000,
    });
    await client.request(PORTFOLIO); // any answer carries the server's Date
    expect(client.clockOffsetMs()).toBeGreaterThan(118_000);
    const placed = await client.request(PLACE, input(`clock-${randomUUID().slice(0, 8)}`));
    expect(placed.errors).toBeUndefined();
  });

  it('waits Retry-After on a 429 and sends the mutation again, signed anew', async () => {
    const key = shared;
    const sent: { at: number; signature: string | null }[] = [];
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key.key,
      signingKey: ed25519SigningKey(key.record.keyId, key.privateKey),
      // The first answer is a refusal as the gateway words it; the second goes to the gateway.
      fetch: async (url, init) => {
        sent.push({ at: Date.now(), signature: new Headers(init?.headers).get('signature') });
        if (sent.length === 1) {
          const body = { errors: [{ message: 'Too many requests.', extensions: { code: 'RATE_LIMITED' } }] };
          return new Response(JSON.stringify(body), {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '1' },
          });
        }
        return fetch(url, init);
      },
    });
    const clientOrderId = `rl-${randomUUID().slice(0, 8)}`;
    const placed = await client.request(PLACE, input(clientOrderId), { idempotent: false });
    expect(placed.errors).toBeUndefined();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(990);
    expect(sent[1]!.signature).not.toBe(sent[0]!.signature);
    expect(trading.orders().filter((o) => o.clientOrderId === clientOrderId)).toHaveLength(1);
  });

  it('returns a 429 whose Retry-After is longer than maxRetryAfterMs at once, with retryAfterMs', async () => {
    const key = shared;
    let calls = 0;
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key.key,
      maxRetryAfterMs: 5_000,
      fetch: async () => {
        calls++;
        return new Response(
          '{"errors":[{"message":"Too many requests.","extensions":{"code":"RATE_LIMITED"}}]}',
          {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '60' },
          },
        );
      },
    });
    const result = await client.request(PORTFOLIO);
    expect(calls).toBe(1);
    expect(result.status).toBe(429);
    expect(result.retryAfterMs).toBe(60_000);
  });

  it('retries a signed placeOrder after an ambiguous timeout and gets one order', async () => {
    const key = shared;
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

  it('reports KEY_DEPRECATED once when no next key is set', async () => {
    const old = await tradingKey('user-2');
    const rotation = await gateway.running.keys.rotate(old.record.keyId, 3600, 'test');
    const warnings: unknown[] = [];
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: old.key,
      onKeyDeprecated: (warning) => warnings.push(warning.replacedBy),
    });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the record cache
    for (let i = 0; i < 3; i++)
      expect(
        (await client.request(`{ portfolio(accountId: "acc-4") { accountId } }`)).errors,
      ).toBeUndefined();
    expect(warnings).toEqual([rotation.record.keyId]);
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

  it('resumes orderUpdates after a dropped stream from the last cursor: nothing lost, nothing repeated', async () => {
    const key = shared;
    const bodies: { after: unknown }[] = [];
    let streams = 0;
    let opened: () => void = () => {};
    let streamOpen = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const client = createSwitchyardClient({
      url: gateway.url,
      apiKey: key.key,
      signingKey: ed25519SigningKey(key.record.keyId, key.privateKey),
      // The first stream is cut right after its first event, as a network drop would.
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        if (new Headers(init?.headers).get('accept') !== 'text/event-stream') return response;
        bodies.push({ after: JSON.parse(String(init?.body)).variables.after });
        streams++;
        opened();
        if (streams > 1) return response;
        return new Response(cutAfterFirstEvent(response.body!), {
          status: response.status,
          headers: response.headers,
        });
      },
    });
    const updates: { cursor: string; clientOrderId: string }[] = [];
    const reconnects: string[] = [];
    const subscription = orderUpdates(client, 'acc-1', {
      onUpdate: (update) =>
        updates.push({ cursor: update.cursor, clientOrderId: update.order.clientOrderId }),
      onReconnect: (reason) => reconnects.push(reason),
    });
    await streamOpen;
    await waitFor(() => (trading.control.stats.streams.open ?? 0) >= 1);
    const ids = ['res-1', 'res-2', 'res-3'].map((id) => `${id}-${randomUUID().slice(0, 6)}`);
    streamOpen = new Promise<void>((resolve) => {
      opened = resolve;
    });
    expect((await client.request(PLACE, input(ids[0]!))).errors).toBeUndefined();
    await streamOpen; // the cut stream was reopened
    for (const id of ids.slice(1)) expect((await client.request(PLACE, input(id))).errors).toBeUndefined();
    await waitFor(() => updates.length >= 3);
    subscription.close();
    await subscription.done;
    expect(updates.map((u) => u.clientOrderId)).toEqual(ids);
    expect(reconnects).toEqual(['NETWORK']);
    expect(bodies.map((b) => b.after)).toEqual([null, updates[0]!.cursor]);
    expect(subscription.cursor()).toBe(updates[2]!.cursor);
  });
});

/** A stream that passes SSE bytes through up to the end of the first `next` event, then ends. */
function cutAfterFirstEvent(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      text += decoder.decode(value, { stream: true });
      const at = text.search(/event: next\ndata: [^\n]*\n\n/);
      if (at === -1) return controller.enqueue(value);
      const end = text.indexOf('\n\n', at) + 2;
      controller.enqueue(new TextEncoder().encode(text.slice(0, end)));
      controller.close();
      await reader.cancel();
    },
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
