/**
 * The one definition of where a key is in its life. Authentication, signature verification, the
 * lifecycle checks and `ApiKey.status` all read it, so they cannot disagree.
 */
import type { ApiKeyRecord } from './types.js';

/**
 * - `active`: usable, not replaced;
 * - `grace`: usable, but a rotation replaced it (`supersededBy`) and it stops at its expiry;
 * - `expired`: past `expiresAt` (a grace window that ended included);
 * - `revoked`: revoked, whatever its expiry.
 */
export type KeyState = 'active' | 'grace' | 'expired' | 'revoked';

/** The state of a key at `now` (ms since the epoch). */
export function keyState(
  record: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt' | 'supersededBy'>,
  now: number,
): KeyState {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return 'expired';
  return record.supersededBy ? 'grace' : 'active';
}

/** Whether a key in this state may still authenticate and sign (active, or in its grace window). */
export const isUsable = (state: KeyState): boolean => state === 'active' || state === 'grace';
