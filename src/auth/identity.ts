/**
 * Wires identity for one gateway process: the key service over the key stores (from createStores),
 * its usage flush timer, the JWT verifier, and the request authenticator.
 */
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createKeyCrypto, type KeyCrypto } from '../keys/crypto.js';
import { createKeyService, type KeyService } from '../keys/service.js';
import type { NonceStore } from '../signing/nonce-store.js';
import { createStores, type RedisClient, type Stores } from '../stores/index.js';
import { type Authenticator, createAuthenticator } from './authenticate.js';
import { createJwtVerifier, type JwtVerifier } from './jwt.js';

export interface Identity {
  keys: KeyService;
  /** Signature nonces, shared across instances through Redis. */
  nonces: NonceStore;
  jwt: JwtVerifier | null;
  authenticate: Authenticator;
  /** The keyring's crypto: API-key hashes and sealed secrets, and envelopes for other records. */
  crypto: KeyCrypto;
  /** Whether keys live in this process only (no Redis). */
  inMemory: boolean;
  /** Stops the usage flush timer after a last flush; closes the stores only if it created them. */
  close(): Promise<void>;
}

export interface IdentityOptions {
  config: Pick<Config, 'jwt' | 'keyring' | 'apiKeyEnvironment' | 'trustedProxyHops' | 'redisKeyPrefix'>;
  logger: Logger;
  redis: RedisClient | undefined;
  /**
   * The stores identity uses (main.ts passes its createStores()'s, and closes them). Omitted (the
   * keys CLI, tests): made here on `redis` and closed with the identity.
   */
  stores?: Pick<Stores, 'kind' | 'apiKeys' | 'audit' | 'invalidations' | 'nonces'> | undefined;
  /** How often buffered key usage is written, in ms. @default 5000 */
  usageFlushMs?: number;
}

export function createIdentity({
  config,
  logger,
  redis,
  stores: given,
  usageFlushMs = 5000,
}: IdentityOptions): Identity {
  if (config.keyring.ephemeral) {
    logger.warn('KEYS_ENCRYPTION_KEYS is not set: using a random key for this process (keys die with it)');
  }
  const crypto = createKeyCrypto(config.keyring.versions);
  const owned = given ? undefined : createStores({ redis, prefix: config.redisKeyPrefix, logger });
  const stores = given ?? owned!;
  const keys = createKeyService({
    store: stores.apiKeys,
    audit: stores.audit,
    invalidations: stores.invalidations,
    crypto,
    logger,
    environment: config.apiKeyEnvironment,
  });
  const jwt = config.jwt
    ? createJwtVerifier({
        jwks:
          'url' in config.jwt.jwks
            ? { url: config.jwt.jwks.url }
            : { keys: readJwksFile(config.jwt.jwks.file) },
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
      })
    : null;
  const timer = setInterval(() => void keys.flushUsage(), usageFlushMs);
  timer.unref();
  return {
    keys,
    nonces: stores.nonces,
    jwt,
    crypto,
    authenticate: createAuthenticator({ keys, jwt, trustedProxyHops: config.trustedProxyHops }),
    inMemory: stores.kind === 'memory',
    async close() {
      clearInterval(timer);
      await keys.flushUsage();
      await owned?.close();
    },
  };
}

function readJwksFile(path: string): JSONWebKeySet {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as JSONWebKeySet;
  if (!Array.isArray(parsed.keys)) throw new Error(`JWT_JWKS_FILE ${path} has no "keys" array`);
  return parsed;
}
