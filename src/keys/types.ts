/** The API key record as stored (never the key itself: only its keyed hash). */
import type { KeyEnvironment } from '../auth/api-key-format.js';

/** Credential a key may carry for signed mutations (RFC 9421). */
export type SigningCredential =
  | { type: 'ed25519' /** SPKI DER, base64 */; publicKey: string }
  | {
      type: 'hmac-sha256' /** AES-256-GCM under KEYS_ENCRYPTION_KEY: iv.tag.ciphertext, base64 */;
      encryptedSecret: string;
    };

export interface ApiKeyRecord {
  keyId: string;
  clientId: string;
  /** 1 for the first key of a rotation chain, +1 per rotation. */
  version: number;
  name: string;
  environment: KeyEnvironment;
  scopes: string[];
  plan: string;
  /** HMAC-SHA256(pepper, key), hex. */
  hash: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
  /** Set on the old key by a rotation: the key that replaces it, and when the old one stops working. */
  supersededBy: string | null;
  sunsetAt: string | null;
  /** CIDR blocks the key may be used from; null: anywhere. */
  allowedCidrs: string[] | null;
  signing: SigningCredential | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  /** Requests made with this key during its grace window (operators see who has not migrated). */
  graceUseCount: number;
}

/** The lifecycle events and refusals written to the audit stream. */
export type AuditEventType =
  | 'key.created'
  | 'key.rotated'
  | 'key.revoked'
  | 'key.revoked_all'
  | 'key.refused'
  /** A user's exchange key linked, unlinked, refused at link time, or failing when used. */
  | 'exchange.linked'
  | 'exchange.unlinked'
  | 'exchange.refused'
  | 'exchange.use_failed';

export interface AuditEvent {
  type: AuditEventType;
  at: string;
  keyId?: string | undefined;
  clientId?: string | undefined;
  /** Who did it: an operator (`cli:<user>`), a principal (`client:<id>`), or `system`. */
  actor?: string | undefined;
  /** For refusals: the code returned (UNAUTHENTICATED, KEY_EXPIRED, KEY_REVOKED, IP_NOT_ALLOWED, FORBIDDEN). */
  code?: string | undefined;
  reason?: string | undefined;
  ip?: string | undefined;
  requestId?: string | undefined;
  /** exchange.* events: the linked account, and the fingerprint of its key (never the key). */
  exchangeAccountId?: string | undefined;
  keyFingerprint?: string | undefined;
}

/** Usage seen by one instance since its last flush, applied to the store in one write. */
export interface KeyUsage {
  keyId: string;
  lastUsedAt: string;
  lastUsedIp: string;
  graceUses: number;
}
