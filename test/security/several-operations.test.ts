/**
 * One document, several operations: every request must execute the operation it names, the one
 * its policies (signature, scopes, rate limits, cost, cache) judged. The compiled executor once
 * cached per document alone: after `mutation Place` of a document ran signed, an unsigned request
 * naming that document's `query Read` placed an order again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { order, placed } from '../helpers/fleet.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ordersPlaced, post, postSigned } from './client.js';

const DOCUMENT = /* GraphQL */ `
  query Read { token(id: "bitcoin") { symbol } }
  mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }
`;

describe('a document holding several operations', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway.close();
  });
  // user-1's test key: it may trade on acc-1 and signs with its Ed25519 credential.
  const headers = () => gateway.as('user-1');

  it('runs the query a request names after the mutation of the same document ran signed', async () => {
    const signedPlace = await postSigned(
      gateway,
      { query: DOCUMENT, variables: order(), operationName: 'Place' },
      headers()['x-api-key']!,
      gateway.signingKey('user-1'),
    );
    expect(placed(signedPlace)).toBe(true);
    const before = ordersPlaced(gateway);
    for (let i = 0; i < 3; i++) {
      const read = await post(
        gateway,
        { query: DOCUMENT, variables: order(), operationName: 'Read' },
        headers(),
      );
      expect(read.body).toEqual({ data: { token: { symbol: 'BTC' } } });
    }
    // Unsigned, under the name of the query: refused as the mutation it is, never executed.
    const unsigned = await post(
      gateway,
      { query: DOCUMENT, variables: order(), operationName: 'Place' },
      headers(),
    );
    expect(unsigned.body.errors?.[0]?.extensions?.code).toBe('SIGNATURE_REQUIRED');
    expect(ordersPlaced(gateway)).toBe(before);
  });

  it('answers a name the document lacks on its own, and the document stays usable', async () => {
    const document =
      'query One { token(id: "ethereum") { symbol } } query Two { token(id: "bitcoin") { symbol } }';
    const unknown = await post(
      gateway,
      { query: document, variables: {}, operationName: 'Three' },
      headers(),
    );
    expect(unknown.body.data ?? null).toBeNull();
    expect(unknown.body.errors?.length).toBeGreaterThan(0);
    for (const [operationName, symbol] of [
      ['Two', 'BTC'],
      ['One', 'ETH'],
      ['Two', 'BTC'],
    ] as const) {
      const reply = await post(gateway, { query: document, variables: {}, operationName }, headers());
      expect(reply.body).toEqual({ data: { token: { symbol } } });
    }
  });
});
