/**
 * @switchyard/client — the Switchyard SDK for Node >= 20, browsers and React Native.
 *
 *   import { createSwitchyardClient, ed25519SigningKey } from '@switchyard/client';
 *   const client = createSwitchyardClient({ url, apiKey, signingKey: ed25519SigningKey(keyId, pkcs8) });
 *   const { data } = await client.placeOrder({ accountId, tokenId, side: 'BUY', type: 'MARKET', quantity: '0.5' });
 */
export {
  apiKeyId,
  type Credentials,
  createSwitchyardClient,
  type Document,
  type PlaceOrderRequest,
  type RequestOptions,
  type SwitchyardClient,
  type SwitchyardClientOptions,
} from './client.js';
export { contentDigest } from './digest.js';
export { fromBase64, toBase64 } from './encoding.js';
export { graphql } from './generated/gql.js';
export * from './generated/graphql.js';
export { operationKind } from './operation.js';
export { type OrderUpdateHandlers, orderUpdates } from './order-updates.js';
export { errorCodes, type GatewayWarning, type GraphQLErrorShape, type GraphQLResult } from './result.js';
export { newNonce, type RequestToSign, signatureBase, signRequest } from './sign.js';
export {
  type Ed25519PrivateKey,
  type ExportableKey,
  ed25519SigningKey,
  generateEd25519KeyPair,
  hmacSigningKey,
  type SigningKey,
} from './signing-key.js';
export {
  RESUMABLE_CODES,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandlers,
  type SubscriptionPayload,
} from './subscribe.js';
export type { DocumentTypeDecoration, ResultOf, TypedDocumentNode, VariablesOf } from './typed-document.js';
export type { WebCrypto } from './webcrypto.js';
