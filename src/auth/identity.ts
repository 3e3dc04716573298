/**
 * Wires identity for one gateway process: key stores (Redis or memory), the key service with its
 * usage flush timer, the JWT verifier, and the request authenticator.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createKeyCrypto, parseEncryptionKey } from '../keys/crypto.js';
import { createKeyService, type KeyService } from '../keys/service.js';
import { createMemoryApiKeyStore, createMemoryAuditLog, createMemoryNonceStore } from '../stores/memory.js';
import {
  createRedisApiKeyStore,
  createRedisAuditLog,
  createRedisInvalidationBus,
  createRedisNonceStore,
} from '../stores/redis.js';
import type { NonceStore } from '../stores/types.js';
import { type Authenticator, createAuthenticator } from './authenticate.js';
import { createJwtVerifier, type JwtVerifier } from './jwt.js';

export interface Identity {
  keys: KeyService;
  /** Signature nonces, shared across instances through Redis. */
  nonces: NonceStore;
  jwt: JwtVerifier | null;
  authenticate: Authenticator;
  /** Whether keys live in this process only (no Redis). */
  inMemory: boolean;
  /** Stops the usage flush timer after a last flush. */
  close(): Promise<void>;
}

export interface IdentityOptions {
  config: Pick<
    Config,
    'jwt' | 'keysEncryptionKey' | 'apiKeyEnvironment' | 'trustedProxyHops' | 'redisKeyPrefix'
  >;
  logger: Logger;
  redis: Redis | undefined;
  /** How often buffered key usage is written, in ms. @default 5000 */
  usageFlushMs?: number;
  /** Counts JWKS fetches (metrics). */
  onJwksFetch?: (outcome: 'ok' | 'error') => void;
}

export function createIdentity({
  config,
  logger,
  redis,
  usageFlushMs = 5000,
  onJwksFetch,
}: IdentityOptions): Identity {
  if (config.keysEncryptionKey.ephemeral) {
    logger.warn('KEYS_ENCRYPTION_KEY is not set: using a random key for this process (keys die with it)');
  }
  const crypto = createKeyCrypto(parseEncryptionKey(config.keysEncryptionKey.value));
  const stores = redis
    ? {
        store: createRedisApiKeyStore({ redis, prefix: config.redisKeyPrefix }),
        audit: createRedisAuditLog({ redis, prefix: config.redisKeyPrefix }),
        invalidations: createRedisInvalidationBus({ redis, prefix: config.redisKeyPrefix }),
        nonces: createRedisNonceStore({ redis, prefix: config.redisKeyPrefix }),
      }
    : {
        store: createMemoryApiKeyStore(),
        audit: createMemoryAuditLog(),
        invalidations: undefined,
        nonces: createMemoryNonceStore(),
      };
  const keys = createKeyService({ ...stores, crypto, logger, environment: config.apiKeyEnvironment });
  const jwt = config.jwt
    ? createJwtVerifier({
        jwks:
          'url' in config.jwt.jwks
            ? { url: config.jwt.jwks.url }
            : { keys: readJwksFile(config.jwt.jwks.file) },
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        ...(onJwksFetch ? { onFetch: onJwksFetch } : {}),
      })
    : null;
  const timer = setInterval(() => void keys.flushUsage(), usageFlushMs);
  timer.unref();
  return {
    keys,
    nonces: stores.nonces,
    jwt,
    authenticate: createAuthenticator({ keys, jwt, trustedProxyHops: config.trustedProxyHops }),
    inMemory: !redis,
    async close() {
      clearInterval(timer);
      await keys.flushUsage();
      await stores.invalidations?.close();
    },
  };
}

function readJwksFile(path: string): JSONWebKeySet {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as JSONWebKeySet;
  if (!Array.isArray(parsed.keys)) throw new Error(`JWT_JWKS_FILE ${path} has no "keys" array`);
  return parsed;
}
