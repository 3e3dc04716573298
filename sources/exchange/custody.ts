/**
 * Custody of users' exchange keys: linking (the exchange is asked what the key can do before
 * anything is stored; a key that can withdraw, or is not IP-restricted, is refused), the envelope
 * a linked key lives in (bound to its owner and id), its use (opened only inside the client's
 * signing), its age, unlinking, and re-wrapping under a new key-encryption key.
 *
 * What never happens: a field, log line, audit entry, metric or error carrying the key or its
 * secret. The audit trail names a link by id and fingerprint.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type GatewayWarning, gatewayError, gatewayWarning } from '../../src/errors.js';
import type { EnvelopeCipher } from '../../src/keys/keyring.js';
import type { AuditLog } from '../../src/keys/stores.js';
import type { AuditEvent } from '../../src/keys/types.js';
import type { UpstreamCallOptions } from '../../src/upstream/call.js';
import {
  type ExchangeClient,
  type ExchangeCredential,
  exchangeCodeOf,
  exchangeErrorCodes,
} from './client.js';
import type { LinkedAccount, LinkedAccountStore } from './store.js';
import type { ExchangePermissions, ExchangeSettings } from './types.js';

/** What linking takes (`linkExchangeAccount(input:)`). */
export interface LinkInput {
  readonly exchange: string;
  readonly label: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** Who acts, for the audit trail. */
export interface CustodyActor {
  /** The principal's userId: owner of the links. */
  readonly owner: string;
  /** `client:<id>` */
  readonly actor: string;
  readonly ip?: string | undefined;
  readonly requestId?: string | undefined;
}

/** Most links one user may hold. */
export const MAX_LINKS_PER_USER = 20;

const DAY_MS = 86_400_000;
const KEY_PART = /^[\x21-\x7e]{16,128}$/;
const LABEL = /^[\p{L}\p{N} ._-]{1,64}$/u;

/** `sha256:<16 hex>` of an exchange API key: enough to recognise it, nothing to use. */
export function keyFingerprint(apiKey: string): string {
  return `sha256:${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
}

/** The context an envelope is bound to: moved to another owner or record, it does not open. */
const envelopeContext = (owner: string, id: string) => `exchange-account\n${owner}\n${id}`;

/** `apiKey \0 apiSecret` as bytes: the plaintext of an envelope (the secret can then be wiped). */
function plaintextOf(input: Pick<LinkInput, 'apiKey' | 'apiSecret'>): Buffer {
  return Buffer.from(`${input.apiKey}\0${input.apiSecret}`, 'utf8');
}

/** A credential over plaintext bytes that `open` yields, wiped after each use. */
function credentialOver(open: () => Buffer): ExchangeCredential {
  return {
    use(sign) {
      const plain = open();
      try {
        const split = plain.indexOf(0);
        if (split < 0) throw new Error('linked exchange key: malformed plaintext');
        return sign(plain.subarray(0, split).toString('utf8'), plain.subarray(split + 1));
      } finally {
        plain.fill(0);
      }
    },
  };
}

export interface CustodyOptions {
  readonly client: ExchangeClient;
  readonly store: LinkedAccountStore;
  readonly envelopes: EnvelopeCipher;
  readonly audit: AuditLog;
  readonly settings: ExchangeSettings;
  readonly now: () => number;
}

export function createCustody({ client, store, envelopes, audit, settings, now }: CustodyOptions) {
  const record = (event: Omit<AuditEvent, 'at'>) =>
    // The trail is best effort here as for API keys: a failed append is the store's to report.
    audit.append({ ...event, at: new Date(now()).toISOString() }).catch(() => {});

  const who = (by: CustodyActor) => ({
    clientId: by.owner,
    actor: by.actor,
    ip: by.ip,
    requestId: by.requestId,
  });

  function validate(input: LinkInput): LinkInput {
    const exchange = input.exchange.trim().toLowerCase();
    if (exchange !== settings.EXCHANGE_NAME)
      throw gatewayError(
        'BAD_USER_INPUT',
        `exchange must be "${settings.EXCHANGE_NAME}" (the exchange this gateway links keys of).`,
        { argument: 'exchange' },
      );
    const label = input.label.trim();
    if (!LABEL.test(label))
      throw gatewayError('BAD_USER_INPUT', 'label must be 1-64 letters, digits, spaces, ".", "_" or "-".', {
        argument: 'label',
      });
    // Never echoed: a malformed secret is described, not quoted.
    for (const argument of ['apiKey', 'apiSecret'] as const)
      if (!KEY_PART.test(input[argument]))
        throw gatewayError('BAD_USER_INPUT', `${argument} must be 16-128 printable characters.`, {
          argument,
        });
    return { exchange, label, apiKey: input.apiKey, apiSecret: input.apiSecret };
  }

  /** The refusal of a key by what it can do (null: acceptable), and the warnings of an accepted one. */
  function judge(permissions: ExchangePermissions): {
    refusal: 'EXCHANGE_KEY_TOO_POWERFUL' | 'EXCHANGE_KEY_UNRESTRICTED' | 'EXCHANGE_KEY_INVALID' | null;
    warnings: GatewayWarning[];
  } {
    if (permissions.withdraw) return { refusal: 'EXCHANGE_KEY_TOO_POWERFUL', warnings: [] };
    if (!permissions.read) return { refusal: 'EXCHANGE_KEY_INVALID', warnings: [] };
    if (!permissions.ipRestricted) {
      if (settings.EXCHANGE_UNRESTRICTED_KEYS === 'refuse')
        return { refusal: 'EXCHANGE_KEY_UNRESTRICTED', warnings: [] };
      return { refusal: null, warnings: [gatewayWarning('EXCHANGE_KEY_UNRESTRICTED')] };
    }
    return { refusal: null, warnings: [] };
  }

  const refusalMessages = {
    EXCHANGE_KEY_TOO_POWERFUL:
      'This exchange key can withdraw funds: create a key with reading (and trading) permission only, and link that one. Nothing was stored.',
    EXCHANGE_KEY_UNRESTRICTED:
      "This exchange key is not IP-restricted: restrict it to the gateway's addresses on the exchange, then link it. Nothing was stored.",
    EXCHANGE_KEY_INVALID:
      'The exchange does not accept this key for reading (unknown, deleted, a wrong secret, no read permission, or not allowed from the gateway). Nothing was stored.',
  } as const;

  /** Whether a link is due for rotation (EXCHANGE_KEY_ROTATION_DAYS after it was linked). */
  const rotationDue = (account: LinkedAccount) =>
    now() - Date.parse(account.linkedAt) >= settings.EXCHANGE_KEY_ROTATION_DAYS * DAY_MS;

  return {
    rotationDue,

    /** Links a key after asking the exchange what it can do; a refused key leaves nothing stored. */
    async link(
      raw: LinkInput,
      by: CustodyActor,
      options?: UpstreamCallOptions,
    ): Promise<{ account: LinkedAccount; warnings: GatewayWarning[] }> {
      const input = validate(raw);
      const fingerprint = keyFingerprint(input.apiKey);
      const refuse = (code: keyof typeof refusalMessages, reason: string): never => {
        void record({ type: 'exchange.refused', ...who(by), code, reason, keyFingerprint: fingerprint });
        throw gatewayError(code, refusalMessages[code], { argument: 'input' });
      };
      const existing = await store.listByOwner(by.owner);
      if (existing.length >= MAX_LINKS_PER_USER)
        throw gatewayError(
          'BAD_USER_INPUT',
          `at most ${MAX_LINKS_PER_USER} exchange accounts may be linked: unlink one first.`,
        );
      if (existing.some((a) => a.keyFingerprint === fingerprint))
        throw gatewayError('BAD_USER_INPUT', 'This exchange key is linked already.', { argument: 'input' });

      let permissions: ExchangePermissions;
      try {
        permissions = await client.permissions(
          credentialOver(() => plaintextOf(input)),
          options,
        );
      } catch (err) {
        const code = exchangeCodeOf(err);
        if (code === exchangeErrorCodes.invalidKey || code === exchangeErrorCodes.invalidSignature)
          refuse('EXCHANGE_KEY_INVALID', `exchange refused the key (code ${code})`);
        throw err;
      }
      const { refusal, warnings } = judge(permissions);
      if (refusal) refuse(refusal, `permissions ${JSON.stringify(permissions)}`);

      const id = `xa_${randomBytes(12).toString('base64url')}`;
      const plain = plaintextOf(input);
      let sealed: string;
      try {
        sealed = envelopes.seal(plain, envelopeContext(by.owner, id));
      } finally {
        plain.fill(0);
      }
      const account: LinkedAccount = {
        id,
        owner: by.owner,
        exchange: input.exchange,
        label: input.label,
        keyFingerprint: fingerprint,
        permissions,
        sealed,
        linkedAt: new Date(now()).toISOString(),
        lastUsedAt: null,
      };
      if (!(await store.create(account)))
        throw gatewayError('BAD_USER_INPUT', 'This exchange key is linked already.', { argument: 'input' });
      await record({
        type: 'exchange.linked',
        ...who(by),
        exchangeAccountId: id,
        keyFingerprint: fingerprint,
      });
      return { account, warnings };
    },

    /** Unlinks: the row and its ciphertext are deleted. Another user's id answers as unknown. */
    async unlink(id: string, by: CustodyActor): Promise<LinkedAccount> {
      const removed = await store.remove(by.owner, id);
      if (!removed)
        throw gatewayError('NOT_FOUND', `Exchange account "${id}" was not found.`, { argument: 'id' });
      await record({
        type: 'exchange.unlinked',
        ...who(by),
        exchangeAccountId: id,
        keyFingerprint: removed.keyFingerprint,
      });
      return removed;
    },

    /** The credential of a link: its envelope opened only while the client signs. */
    credentialOf(account: LinkedAccount): ExchangeCredential {
      return credentialOver(() => envelopes.open(account.sealed, envelopeContext(account.owner, account.id)));
    },

    /** A linked key the exchange refused when used (deleted there, wrong address): audited. */
    useFailed(account: LinkedAccount, by: CustodyActor, reason: string) {
      void record({
        type: 'exchange.use_failed',
        ...who(by),
        exchangeAccountId: account.id,
        keyFingerprint: account.keyFingerprint,
        reason,
      });
    },
  };
}

/**
 * Re-wraps every link's data key under the active KEK (the ciphertext is untouched); safe while
 * gateways run: a record is replaced only if nobody changed it meanwhile (an unlink, another
 * rewrap). A record that does not open (tampered with, or its KEK gone) is reported, not touched.
 */
export async function rewrapLinkedAccounts(
  store: LinkedAccountStore,
  envelopes: EnvelopeCipher,
): Promise<{ rewrapped: number; current: number; failed: string[] }> {
  let rewrapped = 0;
  let current = 0;
  const failed: string[] = [];
  for (let after: string | null = null; ; ) {
    const page = await store.page(after, 200);
    if (page.length === 0) break;
    for (const account of page) {
      try {
        const next = envelopes.rewrap(account.sealed, envelopeContext(account.owner, account.id));
        if (next === account.sealed) current++;
        else if (await store.replaceSealed(account.id, account.sealed, next)) rewrapped++;
      } catch {
        failed.push(account.id);
      }
    }
    after = page[page.length - 1]!.id;
  }
  return { rewrapped, current, failed };
}

export type Custody = ReturnType<typeof createCustody>;
