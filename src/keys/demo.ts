/** Demo mode: clients for the sandbox users, each with a key printed once at start. */
import { generateKeyPairSync } from 'node:crypto';
import type { KeyService } from './service.js';

const THIRTY_DAYS_MS = 30 * 86_400_000;

export interface DemoKeys {
  'user-1': string;
  'user-2': string;
  /** user-1's key can sign mutations: its id and Ed25519 private key (PKCS#8 PEM). */
  signer: { keyId: string; privateKeyPem: string };
}

/** Creates one key per demo user (user-1 trades and signs; user-2 reads). */
export async function seedDemoKeys(keys: KeyService, now = Date.now()): Promise<DemoKeys> {
  const expiresAt = new Date(now + THIRTY_DAYS_MS);
  const pair = generateKeyPairSync('ed25519');
  const user1 = await keys.create(
    {
      clientId: 'user-1',
      name: 'demo',
      scopes: ['market:read', 'portfolio:read', 'trade:write', 'exchanges:write', 'keys:self'],
      plan: 'pro',
      expiresAt,
      signing: {
        type: 'ed25519',
        publicKey: pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      },
    },
    'system:demo',
  );
  const user2 = await keys.create(
    { clientId: 'user-2', name: 'demo', scopes: ['market:read', 'portfolio:read', 'keys:self'], expiresAt },
    'system:demo',
  );
  return {
    'user-1': user1.key,
    'user-2': user2.key,
    signer: {
      keyId: user1.record.keyId,
      privateKeyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    },
  };
}
