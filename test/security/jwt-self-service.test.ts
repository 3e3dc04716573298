/**
 * A JWT's keys:self manages its user's keys, never the keys of the app that obtained the token:
 * every user of an app holds a token with the same `azp`, and the app's own keys (its trading bot,
 * say) are its operator's, not theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestIdp, type TestIdp } from '../helpers/idp.js';
import { codesOf, post } from './client.js';

describe("a JWT's keys:self", () => {
  let gateway: TestGateway;
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp();
    gateway = await startTestGateway({
      env: { JWT_JWKS_URL: idp.jwksUrl, JWT_ISSUER: idp.issuer, JWT_AUDIENCE: idp.audience },
    });
    await gateway.running.keys.create(
      { clientId: 'acme-app', name: 'trading bot', scopes: ['market:read'] },
      'test',
    );
    await gateway.running.keys.create({ clientId: 'alice', name: 'laptop', scopes: ['market:read'] }, 'test');
  });
  afterAll(async () => {
    await Promise.all([gateway?.close(), idp?.close()]);
  });

  const asAlice = async () => ({
    authorization: `Bearer ${await idp.token({ sub: 'alice', azp: 'acme-app', scope: 'market:read keys:self' })}`,
  });
  const list = (clientId: string) => ({
    query: 'query Keys($clientId: ID!) { apiKeys(clientId: $clientId) { name } }',
    variables: { clientId },
    operationName: 'Keys',
  });

  it("refuses the app's keys to one of its users", async () => {
    const reply = await post(gateway, list('acme-app'), await asAlice());
    expect(codesOf(reply)).toEqual(['FORBIDDEN']);
    expect(reply.body.data?.apiKeys ?? null).toBeNull();
  });

  it("lists the user's own keys", async () => {
    const reply = await post(gateway, list('alice'), await asAlice());
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data?.apiKeys).toEqual([{ name: 'laptop' }]);
  });
});
