/** What the adversarial suite sends: keys made for the attack, and operations posted as-is or signed. */
import { randomUUID } from 'node:crypto';
import { type SigningKey, signRequest } from '../../src/client/sign.js';
import { createSigningKey, type GraphQLReply, type TestGateway } from '../helpers/gateway.js';
import type { FieldSelection, RenderedOperation } from './shapes.js';

export interface AttackKey {
  key: string;
  keyId: string;
  signingKey: SigningKey;
}

/** A key of `clientId` with exactly these scopes and an Ed25519 signing credential. */
export function makeKey(
  gateway: TestGateway,
  clientId: string,
  scopes: string[],
  extra: { plan?: string } = {},
): Promise<AttackKey> {
  return createSigningKey(gateway.running, clientId, scopes, {
    name: `attack-${randomUUID().slice(0, 8)}`,
    ...extra,
  });
}

type Operation = Pick<RenderedOperation, 'query' | 'variables' | 'operationName'>;

/** POSTs an operation with these headers (no signature). */
export async function post(
  gateway: TestGateway,
  operation: Operation,
  headers: Record<string, string>,
): Promise<GraphQLReply> {
  return send(gateway, bodyOf(operation), headers);
}

/** POSTs an operation with `apiKey`, signed (RFC 9421) by `signingKey`. */
export async function postSigned(
  gateway: TestGateway,
  operation: Operation,
  apiKey: string,
  signingKey: SigningKey,
): Promise<GraphQLReply> {
  const body = bodyOf(operation);
  const headers = {
    'x-api-key': apiKey,
    ...signRequest({
      method: 'POST',
      url: gateway.url,
      body: Buffer.from(body),
      contentType: 'application/json',
      key: signingKey,
      created: Math.floor(Date.now() / 1000),
    }),
  };
  return send(gateway, body, headers);
}

const bodyOf = ({ query, variables, operationName }: Operation) =>
  JSON.stringify({ query, variables, operationName });

async function send(
  gateway: TestGateway,
  body: string,
  headers: Record<string, string>,
): Promise<GraphQLReply> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body,
  });
  const text = await response.text();
  let parsed: GraphQLReply['body'];
  try {
    parsed = JSON.parse(text) as GraphQLReply['body'];
  } catch {
    throw new Error(`not JSON (${response.status}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Every error code of a reply. */
export const codesOf = (reply: GraphQLReply) => (reply.body.errors ?? []).map((e) => e.extensions?.code);

/** `placeOrder` on acc-1 (user-1's), a distinct clientOrderId per copy, so every copy is a new order. */
export const placeOrder: FieldSelection = {
  rootType: 'Mutation',
  text: (i, alias) => `${alias ? `${alias}: ` : ''}placeOrder(input: $order${i}) { id }`,
  variables: (i) => ({
    [`order${i}`]: {
      type: 'PlaceOrderInput!',
      value: {
        accountId: 'acc-1',
        tokenId: 'bitcoin',
        side: 'BUY',
        type: 'MARKET',
        quantity: '1',
        clientOrderId: `sec-${randomUUID().slice(0, 18)}-${i}`,
      },
    },
  }),
};

/** A scope-guarded read of user-1's account. */
export const portfolio: FieldSelection = {
  rootType: 'Query',
  text: (_i, alias) =>
    `${alias ? `${alias}: ` : ''}portfolio(accountId: "acc-1") { accountId positions { quantity } }`,
  variables: () => ({}),
};

/** Introspection. */
export const schemaIntrospection: FieldSelection = {
  rootType: 'Query',
  text: (_i, alias) => `${alias ? `${alias}: ` : ''}__schema { queryType { name } }`,
  variables: () => ({}),
};

/** Orders placed on a gateway's trading sandbox so far. */
export const ordersPlaced = (gateway: TestGateway) => gateway.trading.control.stats.byRoute.PlaceOrder ?? 0;
