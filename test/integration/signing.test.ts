import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519SigningKey, signRequest } from '../../src/client/sign.js';
import { contentDigest } from '../../src/signing/digest.js';
import { signatureBase } from '../../src/signing/message.js';
import {
  type GraphQLReply,
  startTestGateway,
  type TestGateway,
  type TradingSandbox,
} from '../helpers/gateway.js';
import { useTestRedis } from '../helpers/redis.js';

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id clientOrderId status } }`;
const order = (clientOrderId = `c-${randomUUID().slice(0, 8)}`) => ({
  input: {
    accountId: 'acc-1',
    tokenId: 'bitcoin',
    side: 'BUY',
    type: 'LIMIT',
    quantity: '0.1',
    limitPrice: '50000',
    clientOrderId,
  },
});

/** Sends raw bytes with chosen headers (Host included), as a replaying attacker would. */
function replay(url: string, body: string, headers: Record<string, string>): Promise<GraphQLReply> {
  const all = {
    'content-type': 'application/json',
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: all }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        try {
          const parsed = JSON.parse(text) as GraphQLReply['body'];
          resolve({
            status: res.statusCode ?? 0,
            headers: new Headers(res.headers as Record<string, string>),
            body: parsed,
          });
        } catch {
          reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (reply: GraphQLReply) => reply.body.errors?.[0]?.extensions?.code;

describe('signed mutations against the running gateway', () => {
  let gateway: TestGateway;
  let trading: TradingSandbox;
  const placed = () => trading.control.stats.byRoute.PlaceOrder ?? 0;

  beforeAll(async () => {
    gateway = await startTestGateway();
    trading = gateway.trading;
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('places an order with a valid Ed25519 signature', async () => {
    const reply = await gateway.signed(PLACE, order());
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data?.placeOrder).toMatchObject({ status: 'OPEN' });
  });

  it('places an order with an HMAC-SHA256 signature', async () => {
    const secret = randomBytes(32);
    const { key, record } = await gateway.running.keys.create(
      {
        clientId: 'user-1',
        name: 'hmac',
        scopes: ['trade:write', 'portfolio:read'],
        allowedCidrs: ['127.0.0.0/8'],
        signing: { type: 'hmac-sha256', secret: secret.toString('base64') },
      },
      'test',
    );
    const reply = await gateway.signed(PLACE, order(), {
      apiKey: key,
      signingKey: { keyId: record.keyId, algorithm: 'hmac-sha256', secret },
    });
    expect(reply.body.errors).toBeUndefined();
  });

  it('refuses an unsigned mutation with 401 SIGNATURE_REQUIRED, and no order reaches trading', async () => {
    const before = placed();
    const reply = await gateway.graphql(PLACE, order());
    expect(reply.status).toBe(401);
    expect(codeOf(reply)).toBe('SIGNATURE_REQUIRED');
    expect(reply.headers.get('accept-signature')).toContain('content-digest');
    expect(placed()).toBe(before);
  });

  it('refuses the same signed request replayed, with REPLAYED_REQUEST', async () => {
    let captured!: { body: string; headers: Record<string, string> };
    const first = await gateway.signed(PLACE, order(), {
      tamper: (sent) => {
        captured = sent;
        return sent;
      },
    });
    expect(first.body.errors).toBeUndefined();
    const before = placed();
    const again = await replay(gateway.url, captured.body, {
      ...captured.headers,
      host: new URL(gateway.url).host,
    });
    expect(again.status).toBe(401);
    expect(codeOf(again)).toBe('REPLAYED_REQUEST');
    expect(placed()).toBe(before);
  });

  it.each([
    [
      'a body changed after signing',
      (sent: { body: string; headers: Record<string, string> }) => ({
        ...sent,
        body: sent.body.replace('0.1', '9.1'),
      }),
      'SIGNATURE_INVALID',
      /Content-Digest sha-256 does not match the body/,
    ],
    [
      'a body and digest changed after signing',
      (sent: { body: string; headers: Record<string, string> }) => {
        const body = sent.body.replace('0.1', '9.1');
        return { body, headers: { ...sent.headers, 'content-digest': contentDigest(Buffer.from(body)) } };
      },
      'SIGNATURE_INVALID',
      /does not verify/,
    ],
    [
      'a signature flipped by one byte',
      (sent: { body: string; headers: Record<string, string> }) => ({
        ...sent,
        headers: {
          ...sent.headers,
          signature: sent.headers.signature!.replace(/:(.)/, (_, c: string) => `:${c === 'A' ? 'B' : 'A'}`),
        },
      }),
      'SIGNATURE_INVALID',
      /does not verify/,
    ],
  ])('refuses %s with %s, and no order reaches trading', async (_, tamper, code, message) => {
    const before = placed();
    const reply = await gateway.signed(PLACE, order(), { tamper });
    expect(reply.status).toBe(401);
    expect(codeOf(reply)).toBe(code);
    expect(reply.body.errors?.[0]?.message).toMatch(message);
    expect(placed()).toBe(before);
  });

  it('refuses a stale created with SIGNATURE_EXPIRED', async () => {
    const body = JSON.stringify({ query: PLACE, variables: order() });
    const headers = signRequest({
      method: 'POST',
      url: gateway.url,
      body: Buffer.from(body),
      contentType: 'application/json',
      key: gateway.signingKey('user-1'),
      created: Math.floor(Date.now() / 1000) - 31,
    });
    const before = placed();
    const reply = await replay(gateway.url, body, {
      ...headers,
      ...gateway.as('user-1'),
      host: new URL(gateway.url).host,
    });
    expect(codeOf(reply)).toBe('SIGNATURE_EXPIRED');
    expect(placed()).toBe(before);
  });

  it('refuses a signature that does not cover @authority, naming it', async () => {
    const body = JSON.stringify({ query: PLACE, variables: order() });
    const url = new URL(gateway.url);
    const digest = contentDigest(Buffer.from(body));
    const components = ['@method', '@path', 'content-digest', 'content-type'];
    const params = new Map<string, string | number>([
      ['created', Math.floor(Date.now() / 1000)],
      ['keyid', gateway.signingKey('user-1').keyId],
      ['nonce', randomUUID()],
    ]);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-digest': digest };
    const base = signatureBase(
      {
        method: 'POST',
        scheme: 'http',
        authority: url.host,
        path: url.pathname,
        query: '',
        header: (name) => headers[name] ?? null,
      },
      [components.map((c) => [c, new Map()]), params],
    );
    const key = gateway.signingKey('user-1') as { privateKey: Parameters<typeof sign>[2] };
    const input = `sig=(${components.map((c) => `"${c}"`).join(' ')});created=${params.get('created')};keyid="${params.get('keyid')}";nonce="${params.get('nonce')}"`;
    const reply = await replay(gateway.url, body, {
      ...headers,
      ...gateway.as('user-1'),
      host: url.host,
      'signature-input': input,
      signature: `sig=:${sign(null, Buffer.from(base), key.privateKey).toString('base64')}:`,
    });
    expect(codeOf(reply)).toBe('SIGNATURE_INVALID');
    expect(reply.body.errors?.[0]?.message).toContain('must also cover: @authority');
  });

  it("refuses a signature by another client's key", async () => {
    const before = placed();
    const reply = await gateway.signed(PLACE, order(), { signingKey: gateway.signingKey('user-2') });
    expect(codeOf(reply)).toBe('SIGNATURE_INVALID');
    expect(reply.body.errors?.[0]?.message).toContain('belongs to another client');
    expect(placed()).toBe(before);
  });

  it('refuses a signing key without trade:write for placeOrder', async () => {
    const pair = generateKeyPairSync('ed25519');
    const { record } = await gateway.running.keys.create(
      {
        clientId: 'user-1',
        name: 'reader-signer',
        scopes: ['portfolio:read'],
        signing: {
          type: 'ed25519',
          publicKey: pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        },
      },
      'test',
    );
    const reply = await gateway.signed(PLACE, order(), {
      signingKey: ed25519SigningKey(record.keyId, pair.privateKey),
    });
    expect(codeOf(reply)).toBe('SIGNATURE_INVALID');
    expect(reply.body.errors?.[0]?.message).toContain('trade:write');
  });

  it('yields one order for a retried placeOrder with the same clientOrderId (new nonce, new signature)', async () => {
    const variables = order();
    const before = trading.orders().length;
    const first = await gateway.signed(PLACE, variables);
    const retry = await gateway.signed(PLACE, variables);
    expect(retry.body.data?.placeOrder).toEqual(first.body.data?.placeOrder);
    expect(trading.orders().length).toBe(before + 1);
  });

  it('lets queries through unsigned', async () => {
    const reply = await gateway.graphql('{ token(id: "bitcoin") { symbol } }');
    expect(reply.body.data).toEqual({ token: { symbol: 'BTC' } });
  });
});

describe('signed mutations across instances and outages', () => {
  it('refuses a replay sent to a second instance sharing Redis', async (context) => {
    const redis = await useTestRedis();
    if (!redis) return context.skip();
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `test:${randomUUID()}:` };
    const a = await startTestGateway({ env });
    const b = await startTestGateway({ env });
    try {
      let captured!: { body: string; headers: Record<string, string> };
      const first = await a.signed(PLACE, order(), {
        tamper: (sent) => {
          captured = sent;
          return sent;
        },
      });
      expect(first.body.errors).toBeUndefined();
      // Behind one load balancer both instances answer the same authority.
      const again = await replay(b.url, captured.body, { ...captured.headers, host: new URL(a.url).host });
      expect(codeOf(again)).toBe('REPLAYED_REQUEST');
      expect(b.trading.control.stats.byRoute.PlaceOrder ?? 0).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    }
  });

  it('answers signed mutations 503 while Redis is down, and keeps serving queries', async (context) => {
    const redis = await useTestRedis({ private: true });
    if (!redis) return context.skip();
    const gateway = await startTestGateway({ env: { REDIS_URL: redis.url } });
    try {
      expect(
        (await gateway.graphql('{ portfolio(accountId: "acc-1") { accountId } }')).body.data?.portfolio,
      ).toEqual({ accountId: 'acc-1' });
      await redis.stop();
      const trading = gateway.trading;
      const reply = await gateway.signed(PLACE, order());
      expect(reply.status).toBe(503);
      expect(codeOf(reply)).toBe('SERVICE_UNAVAILABLE');
      expect(reply.headers.get('retry-after')).toBe('1');
      expect(trading.control.stats.byRoute.PlaceOrder ?? 0).toBe(0);
      const query = await gateway.graphql(
        '{ token(id: "bitcoin") { symbol } portfolio(accountId: "acc-1") { accountId } }',
      );
      expect(query.body.data).toEqual({ token: { symbol: 'BTC' }, portfolio: { accountId: 'acc-1' } });
    } finally {
      await gateway.close();
    }
  });
});
