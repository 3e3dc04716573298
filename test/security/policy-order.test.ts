/**
 * Issue 10's findings on limits and order, reproduced: aliases and splits across instances never
 * multiply a limit (finding 3); JWT budgets are per user within an app (finding 9); authentication
 * comes before anything reads the document (policy order).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestIdp, type TestIdp } from '../helpers/idp.js';
import { useTestRedis } from '../helpers/redis.js';
import { codesOf, makeKey, ordersPlaced, placeOrder, post, postSigned } from './client.js';
import { render } from './shapes.js';

const redis = await useTestRedis();

describe.skipIf(!redis)(
  'placeOrder across two instances on one Redis, however it is aliased or split',
  () => {
    let a: TestGateway;
    let b: TestGateway;
    beforeAll(async () => {
      // Production plans: placeOrder allows 10 per minute per client.
      const env = {
        RATE_LIMIT_PLANS: 'free=1,pro=10,enterprise=100',
        REDIS_URL: redis!.url,
        REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
      };
      [a, b] = [await startTestGateway({ env }), await startTestGateway({ env })];
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await redis?.stop();
    });

    it('places at most 10 orders a minute for the client, counting every alias and fragment copy', async () => {
      const trader = await makeKey(a, 'user-1', ['market:read', 'portfolio:read', 'trade:write']);
      const send = (gateway: TestGateway, copies: number, wrappers: ('fragment' | 'inline')[] = []) =>
        postSigned(
          gateway,
          render(placeOrder, { wrappers, copies, placement: 'alone' }),
          trader.key,
          trader.signingKey,
        );
      const placed = () => ordersPlaced(a) + ordersPlaced(b);

      // The attack as reported: 15 aliased placeOrder in one signed operation, three times.
      for (const gateway of [a, b, a]) {
        const reply = await send(gateway, 15);
        expect(reply.status).toBe(429);
        expect(codesOf(reply)).toContain('RATE_LIMITED');
      }
      expect(placed()).toBe(0);

      expect((await send(b, 6, ['fragment'])).status).toBe(200);
      expect((await send(a, 5, ['inline'])).status).toBe(429); // 6 + 5 > 10
      expect((await send(a, 4)).status).toBe(200);
      expect(placed()).toBe(10);
      const over = await send(b, 1, ['fragment', 'inline']);
      expect(over.status).toBe(429);
      expect(over.headers.get('ratelimit')).toMatch(/^"Mutation\.placeOrder";r=0;t=\d+$/);
      expect(placed()).toBe(10);
    });

    it('counts parallel bursts of aliased operations exactly across both instances', async () => {
      const trader = await makeKey(a, 'user-2', ['market:read', 'portfolio:read', 'trade:write']);
      const before = ordersPlaced(a) + ordersPlaced(b);
      const order = {
        rootType: 'Mutation' as const,
        text: (i: number, alias: string | undefined) =>
          `${alias ? `${alias}: ` : ''}placeOrder(input: $order${i}) { id }`,
        variables: (i: number) => ({
          [`order${i}`]: {
            type: 'PlaceOrderInput!',
            value: {
              accountId: 'acc-4',
              tokenId: 'bitcoin',
              side: 'BUY',
              type: 'MARKET',
              quantity: '1',
              clientOrderId: `burst-${randomUUID().slice(0, 16)}-${i}`,
            },
          },
        }),
      };
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          postSigned(
            i % 2 ? a : b,
            render(order, { wrappers: [], copies: 3, placement: 'alone' }),
            trader.key,
            trader.signingKey,
          ),
        ),
      );
      const admitted = replies.filter((r) => r.status === 200).length;
      // Three admitted operations of three orders fit in 10; a fourth would make 12.
      expect(admitted).toBe(3);
      expect(ordersPlaced(a) + ordersPlaced(b) - before).toBe(9);
    });
  },
);

describe('JWT budgets belong to a user within its app', () => {
  let gateway: TestGateway;
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp();
    gateway = await startTestGateway({
      env: {
        // token: 600 per minute × 0.01 = 6.
        RATE_LIMIT_PLANS: 'free=0.01',
        JWT_JWKS_URL: idp.jwksUrl,
        JWT_ISSUER: idp.issuer,
        JWT_AUDIENCE: idp.audience,
      },
    });
  });
  afterAll(async () => {
    await Promise.all([gateway?.close(), idp?.close()]);
  });

  it("lets one user of an app spend only its own budget, never the app's other users'", async () => {
    const operation = {
      query: '{ token(id: "bitcoin") { id } }',
      variables: {},
      operationName: undefined as never,
    };
    const as = async (sub: string) => ({
      authorization: `Bearer ${await idp.token({ sub, azp: 'mobile-app', scope: 'market:read' })}`,
    });
    for (let i = 0; i < 6; i++) expect((await post(gateway, operation, await as('alice'))).status).toBe(200);
    expect((await post(gateway, operation, await as('alice'))).status).toBe(429);
    const bob = await post(gateway, operation, await as('bob'));
    expect(bob.status).toBe(200);
    expect(bob.body.data?.token).toEqual({ id: 'bitcoin' });
  });
});

describe('authentication comes first', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.close());

  const badKey = {
    'x-api-key': 'sy_test_0000000000000000_00000000000000000000000000000000000000000000000bad',
  };
  const refused = async (response: Response) => {
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    expect(response.headers.get('www-authenticate')).toContain('realm="switchyard"');
  };
  const postRaw = (body: string, headers: Record<string, string>) =>
    fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('answers 401 to a bad credential sent with a document that does not parse', async () => {
    await refused(await postRaw(JSON.stringify({ query: '{ token(id: ' }), badKey));
  });

  it('answers 401 to a bad credential sent with a document that does not validate', async () => {
    await refused(await postRaw(JSON.stringify({ query: '{ noSuchField }' }), badKey));
  });

  it('answers 401 to a bad credential sent with a body that is not JSON', async () => {
    await refused(await postRaw('{"query": ', badKey));
  });

  it('answers 401 to a bad credential sent with an unknown persisted-query hash', async () => {
    const body = JSON.stringify({
      extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
    });
    await refused(await postRaw(body, badKey));
  });

  it('answers 401 to a bad bearer token sent with an operation too complex to run', async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: token(id: "bitcoin") { id }`).join(' ');
    await refused(
      await postRaw(JSON.stringify({ query: `{ ${aliases} }` }), { authorization: 'Bearer x.y.z' }),
    );
  });
});
