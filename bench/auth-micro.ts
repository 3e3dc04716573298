/**
 * `npm run bench:auth`: the cost of authenticating one request — an API key (checksum, cached
 * record, HMAC, constant-time compare, CIDR) and a JWT (RS256 and EdDSA) — in microseconds,
 * medians of 15 batches of 2000 after warm-up. In-process, no network.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { createJwtVerifier } from '../src/auth/jwt.js';
import { type SigningKey, signRequest } from '../src/client/sign.js';
import { createKeyCrypto } from '../src/keys/crypto.js';
import { createKeyService } from '../src/keys/service.js';
import { verifyContentDigest } from '../src/signing/digest.js';
import type { SignedMessage } from '../src/signing/message.js';
import {
  ed25519Key,
  hmacSha256Key,
  type VerificationKey,
  verifyMessageSignature,
} from '../src/signing/verify.js';
import {
  createMemoryApiKeyStore,
  createMemoryAuditLog,
  createMemoryNonceStore,
} from '../src/stores/index.js';

const BATCHES = 15;
const PER_BATCH = 2000;

async function medianMicros(label: string, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < PER_BATCH; i++) await op();
  const batches: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_BATCH; i++) await op();
    batches.push(Number(process.hrtime.bigint() - start) / 1000 / PER_BATCH);
  }
  batches.sort((a, b) => a - b);
  const median = batches[Math.floor(BATCHES / 2)]!;
  console.log(
    `${label.padEnd(44)} median ${median.toFixed(2)} µs  (min ${batches[0]!.toFixed(2)}, max ${batches.at(-1)!.toFixed(2)})`,
  );
  return median;
}

const keys = createKeyService({
  store: createMemoryApiKeyStore(),
  audit: createMemoryAuditLog(),
  crypto: createKeyCrypto(Buffer.alloc(32, 1)),
  logger: pino({ level: 'silent' }),
  environment: 'live',
  cacheTtlMs: 60_000,
});
const plain = await keys.create({ clientId: 'bench', name: 'plain' }, 'bench');
const fenced = await keys.create(
  { clientId: 'bench', name: 'cidr', allowedCidrs: ['10.0.0.0/8', '127.0.0.0/8'] },
  'bench',
);
await medianMicros('API key (cached record)', () => keys.authenticate(plain.key, { ip: '127.0.0.1' }));
await medianMicros('API key with CIDR allowlist (cached record)', () =>
  keys.authenticate(fenced.key, { ip: '127.0.0.1' }),
);

for (const alg of ['RS256', 'EdDSA'] as const) {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg };
  const verifier = createJwtVerifier({
    jwks: { keys: { keys: [jwk] } },
    issuer: 'https://idp/',
    audience: 'api',
  });
  const token = await new SignJWT({ sub: 'user-1', scope: 'market:read' })
    .setProtectedHeader({ alg, kid: 'k1' })
    .setIssuer('https://idp/')
    .setAudience('api')
    .setExpirationTime('1h')
    .sign(privateKey);
  await medianMicros(`JWT ${alg}`, () => verifier.verify(token));
}

// Signature verification as the signed-mutations plugin runs it: digest, parse, base, crypto, nonce.
const body = Buffer.from(
  JSON.stringify({
    query: 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    variables: {
      input: {
        accountId: 'acc-1',
        tokenId: 'bitcoin',
        side: 'BUY',
        type: 'LIMIT',
        quantity: '1',
        limitPrice: '60000',
        clientOrderId: 'c-1',
      },
    },
  }),
);
const pair = generateKeyPairSync('ed25519');
const hmacSecret = randomBytes(32);
const signers: [string, SigningKey, VerificationKey][] = [
  [
    'ed25519',
    { keyId: 'k-ed25519', algorithm: 'ed25519', privateKey: pair.privateKey },
    ed25519Key(pair.publicKey),
  ],
  [
    'hmac-sha256',
    { keyId: 'k-hmac', algorithm: 'hmac-sha256', secret: hmacSecret },
    hmacSha256Key(hmacSecret),
  ],
];
const nonces = createMemoryNonceStore();
for (const [name, signingKey, verificationKey] of signers) {
  // Requests are signed before the clock starts: only the server's work is timed.
  const sign = () => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...signRequest({
        method: 'POST',
        url: 'http://localhost:4000/graphql',
        body,
        contentType: 'application/json',
        key: signingKey,
        created: Math.floor(Date.now() / 1000),
      }),
    };
    const message: SignedMessage = {
      method: 'POST',
      scheme: 'http',
      authority: 'localhost:4000',
      path: '/graphql',
      query: '',
      header: (n) => headers[n] ?? null,
    };
    return message;
  };
  const verifyOne = async (message: SignedMessage) => {
    verifyContentDigest(message.header('content-digest'), body);
    const verified = await verifyMessageSignature(
      message,
      async () => verificationKey,
      { components: ['@method', '@authority', '@path', 'content-digest', 'content-type'], maxAgeSeconds: 30 },
      Date.now(),
    );
    await nonces.claim(verified.keyId, verified.nonce!, 36);
  };
  const batches: number[] = [];
  for (let b = 0; b < BATCHES + 1; b++) {
    const messages = Array.from({ length: PER_BATCH }, sign);
    const start = process.hrtime.bigint();
    for (const message of messages) await verifyOne(message);
    if (b > 0) batches.push(Number(process.hrtime.bigint() - start) / 1000 / PER_BATCH); // batch 0 warms up
  }
  batches.sort((x, y) => x - y);
  console.log(
    `${`signature verify ${name}`.padEnd(44)} median ${batches[Math.floor(BATCHES / 2)]!.toFixed(2)} µs  (digest, parse, base, crypto, nonce)`,
  );
}
