/**
 * What the fleet tests (several gateways on one shared Redis or Redis Cluster) send and check:
 * signed orders built ahead of sending (a chosen nonce, replayable at any instance), the orders the
 * trading sandboxes received, and how long a revocation takes to reach the other instances.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { signRequest } from '../../src/client/sign.js';
import type { GraphQLReply, TestGateway } from './gateway.js';

export const PORTFOLIO = '{ portfolio(accountId: "acc-1") { accountId } }';
export const PLACE = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const codeOf = (reply: GraphQLReply) => reply.body.errors?.[0]?.extensions?.code;
export const placed = (reply: GraphQLReply) => reply.status === 200 && Boolean(reply.body.data?.placeOrder);

/** A fresh limit order of user-1 on acc-1 (its clientOrderId unique). */
export function order(clientOrderId = `cl-${randomUUID().slice(0, 12)}`) {
  return {
    input: {
      accountId: 'acc-1',
      tokenId: 'bitcoin',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.1',
      limitPrice: '50000',
      clientOrderId,
    },
  };
}

/** A placeOrder signed by user-1's key of `gateway`, not sent: the bytes and headers to send anywhere. */
export interface SignedOrder {
  readonly body: string;
  readonly headers: Record<string, string>;
  /** The authority it was signed for (sent as Host wherever it goes). */
  readonly host: string;
  readonly nonce: string;
  readonly clientOrderId: string;
}

export function signedOrder(gateway: TestGateway, nonce: string = randomUUID()): SignedOrder {
  const variables = order();
  const body = JSON.stringify({ query: PLACE, variables });
  const headers = {
    ...gateway.as('user-1'),
    ...signRequest({
      method: 'POST',
      url: gateway.url,
      body: Buffer.from(body),
      contentType: 'application/json',
      key: gateway.signingKey('user-1'),
      created: Math.floor(Date.now() / 1000),
      nonce,
    }),
  };
  return {
    body,
    headers,
    host: new URL(gateway.url).host,
    nonce,
    clientOrderId: variables.input.clientOrderId,
  };
}

/** Sends a signed order's exact bytes to `url` with its own Host, as a client or a replaying attacker would. */
export function replay(url: string, signed: SignedOrder): Promise<GraphQLReply> {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
    ...signed.headers,
    host: signed.host,
    'content-length': String(Buffer.byteLength(signed.body)),
  };
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        let body: GraphQLReply['body'] = {};
        try {
          body = JSON.parse(text) as GraphQLReply['body'];
        } catch {
          // Not GraphQL (a proxy's page): the status says what happened.
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: new Headers(res.headers as Record<string, string>),
          body,
        });
      });
    });
    req.on('error', () => resolve({ status: 0, headers: new Headers(), body: {} }));
    req.end(signed.body);
  });
}

/** How many orders with this clientOrderId the gateways' trading sandboxes hold, together. */
export function ordersWith(gateways: readonly TestGateway[], clientOrderId: string): number {
  return gateways.flatMap((g) => g.trading.orders()).filter((o) => o.clientOrderId === clientOrderId).length;
}

/**
 * Revokes `keyId` at `at` and polls every gateway of `others` with `key` until each refuses it
 * (KEY_REVOKED); the ms the slowest took (∞ after 3 s).
 */
export async function revokedWithinMs(
  at: TestGateway,
  others: readonly TestGateway[],
  keyId: string,
  key: string,
): Promise<number> {
  await at.running.keys.revoke(keyId, 'leaked', 'test');
  const revokedAt = performance.now();
  const pending = new Set(others);
  while (pending.size > 0 && performance.now() - revokedAt < 3000) {
    for (const gateway of [...pending]) {
      const reply = await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': key });
      if (codeOf(reply) === 'KEY_REVOKED') pending.delete(gateway);
    }
    if (pending.size > 0) await sleep(20);
  }
  return pending.size === 0 ? performance.now() - revokedAt : Number.POSITIVE_INFINITY;
}
