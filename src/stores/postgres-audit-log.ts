/**
 * The audit trail in PostgreSQL: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE on
 * audit_events) and hash-chained, so an edit made around the trigger is still found by
 * `npm run audit:verify`. Each row stores `prev_hash` (the previous row's `hash`, 64 zeros for the
 * first) and `hash` = sha256 hex of `prev_hash` followed by the canonical JSON of the event (keys
 * sorted, undefined members left out). Appends take a table lock so the chain has no forks.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AuditLog } from '../keys/stores.js';
import type { AuditEvent } from '../keys/types.js';

/** prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted and undefined members dropped: one text per event, whatever built it. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The chain hash of an event after `prevHash`. */
export function chainHash(prevHash: string, event: unknown): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(event)).digest('hex');
}

/** AuditLog over a pg Pool whose search_path holds the migrated audit_events table. */
export function createPostgresAuditLog(pool: pg.Pool): AuditLog {
  return {
    async append(event) {
      const stored = JSON.parse(canonicalJson(event)) as AuditEvent;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Self-exclusive, and blocks other appends only: readers (recent, verify) are not held.
        await client.query('LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE');
        const { rows } = await client.query<{ hash: string }>(
          'SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1',
        );
        const prevHash = rows[0]?.hash ?? GENESIS_HASH;
        await client.query(
          `INSERT INTO audit_events (type, at, key_id, client_id, event, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            stored.type,
            // `at` is the service's ISO time; a malformed one is still kept (event holds it as given).
            Number.isNaN(Date.parse(stored.at)) ? new Date() : stored.at,
            stored.keyId ?? null,
            stored.clientId ?? null,
            JSON.stringify(stored),
            prevHash,
            chainHash(prevHash, stored),
          ],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async recent(limit) {
      const { rows } = await pool.query<{ event: AuditEvent }>(
        'SELECT event FROM audit_events ORDER BY id DESC LIMIT $1',
        [limit],
      );
      return rows.map((row) => row.event);
    },
  };
}

/** What a walk of the chain found: every entry linked and intact, or the first one that is not. */
export type AuditChainVerdict =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: string; reason: string };

/**
 * Walks audit_events in id order, `batch` rows at a time, recomputing each hash from the previous
 * one. Finds an edited event, an edited or removed row in the middle, and reordered rows; a removal
 * of the newest rows is visible only against a head hash kept elsewhere (the verdict's `head`).
 */
export async function verifyAuditChain(pool: pg.Pool, batch = 1000): Promise<AuditChainVerdict> {
  let prevHash = GENESIS_HASH;
  let lastId = '0';
  let entries = 0;
  for (;;) {
    const { rows } = await pool.query<{ id: string; event: unknown; prev_hash: string; hash: string }>(
      'SELECT a.id::text AS id, a.event, a.prev_hash, a.hash FROM audit_events AS a WHERE a.id > $1 ORDER BY a.id LIMIT $2',
      [lastId, batch],
    );
    for (const row of rows) {
      if (row.prev_hash !== prevHash)
        return { ok: false, entries, brokenAt: row.id, reason: 'prev_hash does not match the entry before' };
      if (chainHash(prevHash, row.event) !== row.hash)
        return { ok: false, entries, brokenAt: row.id, reason: 'hash does not match the event' };
      prevHash = row.hash;
      lastId = row.id;
      entries++;
    }
    if (rows.length < batch) return { ok: true, entries, head: prevHash };
  }
}
