import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../src/auth/jwt.js';
import { startTestIdp, type TestIdp } from '../helpers/idp.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    return String((err as { extensions?: { code?: string } }).extensions?.code ?? (err as Error).message);
  }
}

describe('JWT verification', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp();
  });
  afterAll(async () => {
    await idp.close();
  });

  const verifier = (clock: { now: number }) =>
    createJwtVerifier({
      jwks: { url: idp.jwksUrl },
      issuer: idp.issuer,
      audience: idp.audience,
      cooldownMs: 30_000,
      now: () => clock.now,
    });

  it('accepts a good token and reads subject, client, scopes and plan', async () => {
    const principal = await verifier({ now: Date.now() }).verify(
      await idp.token({
        sub: 'user-7',
        azp: 'mobile-app',
        scope: undefined,
        scp: ['market:read', 'trade:write'],
        plan: 'pro',
      }),
    );
    expect(principal).toMatchObject({ userId: 'user-7', clientId: 'mobile-app', via: 'jwt', plan: 'pro' });
    expect([...principal.scopes]).toEqual(['market:read', 'trade:write']);
  });

  it.each([
    ['expired', async () => idp.token({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ['not yet valid', async () => idp.token({ nbf: Math.floor(Date.now() / 1000) + 120 })],
    ['from another issuer', async () => idp.token({ iss: 'https://evil.test/' })],
    ['for another audience', async () => idp.token({ aud: 'other-api' })],
    ['without a subject', async () => idp.token({ sub: undefined })],
    [
      'alg none',
      async () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'user-1', iss: idp.issuer, aud: idp.audience, exp: 9e9 })}.`,
    ],
    [
      'HS256 signed with the public key',
      async () => {
        const body = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'kid-1' })}.${b64({ sub: 'user-1', iss: idp.issuer, aud: idp.audience, exp: 9e9 })}`;
        return `${body}.${createHmac('sha256', idp.publicPem()).update(body).digest('base64url')}`;
      },
    ],
    [
      'tampered',
      async () => {
        const [header, , signature] = (await idp.token()).split('.');
        return `${header}.${b64({ sub: 'user-2', scope: 'keys:admin', iss: idp.issuer, aud: idp.audience, exp: 9e9 })}.${signature}`;
      },
    ],
    ['signed with an unknown kid', async () => idp.token({}, { kid: undefined, header: { kid: 'garbage' } })],
  ])('refuses a token %s with UNAUTHENTICATED', async (_, make) => {
    expect(await codeOf(verifier({ now: Date.now() }).verify(await make()))).toBe('UNAUTHENTICATED');
  });

  it('picks up an IdP key rotation on the first token that uses it, and bounds refetches for garbage kids', async () => {
    const clock = { now: Date.now() };
    const verify = verifier(clock);
    await verify.verify(await idp.token());
    const afterFirst = idp.fetches();
    for (let i = 0; i < 20; i++)
      await codeOf(verify.verify(await idp.token({}, { header: { kid: `junk-${i}` } })));
    // The first unknown kid refetches (the start-up fetch does not count); the others wait it out.
    expect(idp.fetches() - afterFirst).toBe(1);
    clock.now += 31_000;
    const kid = await idp.rotate();
    expect(await codeOf(verify.verify(await idp.token({}, { kid })))).toBe('accepted');
    expect(idp.fetches() - afterFirst).toBe(2);
    for (let i = 0; i < 20; i++)
      await codeOf(verify.verify(await idp.token({}, { header: { kid: `junk2-${i}` } })));
    expect(idp.fetches() - afterFirst).toBe(2);
  });

  it('picks up an IdP rotation made right after start-up at once', async () => {
    const clock = { now: Date.now() };
    const verify = verifier(clock);
    await verify.verify(await idp.token());
    const kid = await idp.rotate();
    expect(await codeOf(verify.verify(await idp.token({}, { kid })))).toBe('accepted');
  });

  it('keeps serving the last good key set when the IdP is down, then fails closed with 503', async () => {
    const down = await startTestIdp();
    const clock = { now: Date.now() };
    const verify = createJwtVerifier({
      jwks: { url: down.jwksUrl },
      issuer: down.issuer,
      audience: down.audience,
      maxAgeMs: 1000,
      maxStaleMs: 60_000,
      now: () => clock.now,
    });
    const token = await down.token({ exp: Math.floor(Date.now() / 1000) + 3600 });
    await verify.verify(token);
    await down.close();
    clock.now += 30_000;
    expect(await codeOf(verify.verify(token))).toBe('accepted');
    clock.now += 31_000;
    expect(await codeOf(verify.verify(token))).toBe('SERVICE_UNAVAILABLE');
  });

  it.each([
    ['absent', undefined],
    ['JWT', 'JWT'],
    ['jwt', 'jwt'],
    ['at+jwt', 'at+jwt'],
    ['AT+JWT', 'AT+JWT'],
    ['application/at+jwt', 'application/at+jwt'],
  ])('accepts an access token whose typ is %s', async (_, typ) => {
    const token = await idp.token({}, { header: typ === undefined ? {} : { typ } });
    expect(await codeOf(verifier({ now: Date.now() }).verify(token))).toBe('accepted');
  });

  it.each([
    ['logout+jwt', 'logout+jwt', '(typ "logout+jwt")'],
    ['an ID token type', 'id_token+jwt', '(typ "id_token+jwt")'],
    ['a DPoP proof', 'dpop+jwt', '(typ "dpop+jwt")'],
    ['secevent+jwt', 'application/secevent+jwt', '(typ "application/secevent+jwt")'],
    ['a number', 1, '(typ is a number, not a string)'],
  ])('refuses a signed, valid token whose typ is %s: it is not an access token', async (_, typ, shown) => {
    const token = await idp.token({}, { header: { typ } });
    const refusal = await verifier({ now: Date.now() })
      .verify(token)
      .then(
        () => undefined,
        (err: { message: string; extensions?: { code?: string } }) => err,
      );
    expect(refusal?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(refusal?.message).toBe(`The bearer token is not an access token ${shown}.`);
  });

  it('quotes a foreign typ bounded and printable only', async () => {
    const token = await idp.token({}, { header: { typ: `x\n${'y'.repeat(500)}` } });
    const message = await verifier({ now: Date.now() })
      .verify(token)
      .then(
        () => 'accepted',
        (err: Error) => err.message,
      );
    expect(message).toBe(`The bearer token is not an access token (typ "x?${'y'.repeat(38)}…").`);
  });

  it('refuses to be configured with symmetric algorithms', () => {
    expect(() =>
      createJwtVerifier({ jwks: { keys: { keys: [] } }, issuer: 'i', audience: 'a', algorithms: ['HS256'] }),
    ).toThrow();
  });
});
