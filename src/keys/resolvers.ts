/**
 * The key-admin GraphQL operations. `keys:admin` manages every client; `keys:self` manages the
 * caller's own client and never widens (self-service.ts): what it creates or rotates is no wider
 * than the acting key (scopes, allowlist, expiry, plan), and it cannot rotate or revoke a stronger
 * key (FORBIDDEN). Another client's keys and unknown keys get the same NOT_FOUND.
 */
import type { IResolvers } from '@graphql-tools/utils';
import type { Principal, PrincipalContext } from '../auth/principal.js';
import { requirePrincipal } from '../auth/principal.js';
import { gatewayError } from '../errors.js';
import { actingBounds, type KeyBounds, narrowedCreation } from './self-service.js';
import type { KeyService } from './service.js';
import { type KeyState, keyState } from './state.js';
import type { ApiKeyRecord } from './types.js';

export interface KeysContext extends PrincipalContext {
  keys: KeyService;
}

interface CreateApiKeyInput {
  clientId: string;
  name: string;
  scopes?: string[] | null;
  plan?: string | null;
  expiresAt?: string | null;
  allowedCidrs?: string[] | null;
  signingEd25519PublicKey?: string | null;
  signingHmacSecret?: string | null;
}

/** The schema's ApiKeyStatus for each state. */
const API_KEY_STATUS = {
  active: 'ACTIVE',
  grace: 'GRACE',
  expired: 'EXPIRED',
  revoked: 'REVOKED',
} as const satisfies Record<KeyState, string>;

const isAdmin = (principal: Principal) => principal.scopes.has('keys:admin');

/**
 * The client whose keys a keys:self principal manages: an API key's own client, and for a JWT its
 * user (`sub`) — never the JWT's app (`azp`), whose keys belong to the app's operator, not to each
 * of its users.
 */
const ownClient = (principal: Principal) =>
  principal.via === 'api-key' ? principal.clientId : principal.userId;

/** keys:self may act only on its own client. Same answer for other clients and unknown keys. */
function assertClient(principal: Principal, clientId: string): void {
  if (!isAdmin(principal) && clientId !== ownClient(principal)) {
    throw gatewayError('FORBIDDEN', "keys:self manages only your own client's keys.");
  }
}

async function ownedKey(context: KeysContext, keyId: string): Promise<ApiKeyRecord> {
  const principal = requirePrincipal(context);
  const record = await context.keys.get(keyId);
  if (!record || (!isAdmin(principal) && record.clientId !== ownClient(principal))) {
    throw gatewayError('NOT_FOUND', 'No such key.', { argument: 'keyId' });
  }
  return record;
}

/** The bounds a keys:self principal acts within; undefined for keys:admin, which manages any client. */
async function selfServiceBounds(context: KeysContext): Promise<KeyBounds | undefined> {
  const principal = requirePrincipal(context);
  if (isAdmin(principal)) return undefined;
  return actingBounds(principal, principal.keyId ? await context.keys.get(principal.keyId) : null);
}

const actorOf = (principal: Principal) =>
  `${principal.via}:${principal.clientId}${principal.keyId ? `/${principal.keyId}` : ''}`;

export const keysResolvers = {
  Query: {
    apiKeys: async (_: unknown, { clientId }: { clientId: string }, context: KeysContext) => {
      assertClient(requirePrincipal(context), clientId);
      return context.keys.list(clientId);
    },
    apiKeyAudit: (_: unknown, { limit }: { limit: number }, context: KeysContext) => {
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw gatewayError('BAD_USER_INPUT', 'limit must be within 1..1000.', { argument: 'limit' });
      }
      return context.keys.recentAudit(limit);
    },
  },
  Mutation: {
    createApiKey: async (_: unknown, { input }: { input: CreateApiKeyInput }, context: KeysContext) => {
      const principal = requirePrincipal(context);
      assertClient(principal, input.clientId);
      if (!isAdmin(principal) && input.plan)
        throw gatewayError('FORBIDDEN', 'Only keys:admin chooses a plan.');
      if (input.signingEd25519PublicKey && input.signingHmacSecret) {
        throw gatewayError('BAD_USER_INPUT', 'Give one signing credential, not two.', { argument: 'input' });
      }
      const within = await selfServiceBounds(context);
      const requested = {
        scopes: input.scopes ?? undefined,
        allowedCidrs: input.allowedCidrs ?? null,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      };
      // keys:self: omitted fields come from the acting key, never from wider defaults.
      const granted = within
        ? narrowedCreation(requested, within)
        : { ...requested, plan: input.plan ?? undefined };
      const { key, record } = await context.keys.create(
        {
          clientId: input.clientId,
          name: input.name,
          ...granted,
          signing: input.signingEd25519PublicKey
            ? { type: 'ed25519', publicKey: input.signingEd25519PublicKey }
            : input.signingHmacSecret
              ? { type: 'hmac-sha256', secret: input.signingHmacSecret }
              : null,
        },
        actorOf(principal),
        within,
      );
      return { key, apiKey: record };
    },
    rotateApiKey: async (
      _: unknown,
      { keyId, graceSeconds }: { keyId: string; graceSeconds: number },
      context: KeysContext,
    ) => {
      await ownedKey(context, keyId);
      const { key, record } = await context.keys.rotate(
        keyId,
        graceSeconds,
        actorOf(requirePrincipal(context)),
        await selfServiceBounds(context),
      );
      return { key, apiKey: record };
    },
    revokeApiKey: async (
      _: unknown,
      { keyId, reason }: { keyId: string; reason: string },
      context: KeysContext,
    ) => {
      await ownedKey(context, keyId);
      return context.keys.revoke(
        keyId,
        reason,
        actorOf(requirePrincipal(context)),
        await selfServiceBounds(context),
      );
    },
    revokeAllApiKeys: (
      _: unknown,
      { clientId, reason }: { clientId: string; reason: string },
      context: KeysContext,
    ) => context.keys.revokeAll(clientId, reason, actorOf(requirePrincipal(context))),
  },
  ApiKey: {
    id: (record: ApiKeyRecord) => record.keyId,
    status: (record: ApiKeyRecord) => API_KEY_STATUS[keyState(record, Date.now())],
    signingAlgorithm: (record: ApiKeyRecord) => record.signing?.type ?? null,
  },
} satisfies IResolvers;
