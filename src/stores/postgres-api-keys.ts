/**
 * API key records in PostgreSQL, the system of record (table api_keys, migrations/). One row per
 * key; times are timestamptz read back as ISO strings, so a record reads back equal to what was
 * written. "Create only if new" and "update only if it exists" are single statements.
 */
import type pg from 'pg';
import type { ApiKeyStore } from '../keys/stores.js';
import type { ApiKeyRecord } from '../keys/types.js';

type Field = keyof ApiKeyRecord;
type Kind = 'plain' | 'time' | 'json';

/** Every record field, its column and how it is mapped (the table has exactly these columns). */
const COLUMNS: ReadonlyArray<readonly [Field, string, Kind]> = [
  ['keyId', 'key_id', 'plain'],
  ['clientId', 'client_id', 'plain'],
  ['version', 'version', 'plain'],
  ['name', 'name', 'plain'],
  ['environment', 'environment', 'plain'],
  ['scopes', 'scopes', 'plain'],
  ['plan', 'plan', 'plain'],
  ['hash', 'hash', 'plain'],
  ['createdAt', 'created_at', 'time'],
  ['expiresAt', 'expires_at', 'time'],
  ['revokedAt', 'revoked_at', 'time'],
  ['revokedReason', 'revoked_reason', 'plain'],
  ['supersededBy', 'superseded_by', 'plain'],
  ['sunsetAt', 'sunset_at', 'time'],
  ['allowedCidrs', 'allowed_cidrs', 'plain'],
  ['signing', 'signing', 'json'],
  ['lastUsedAt', 'last_used_at', 'time'],
  ['lastUsedIp', 'last_used_ip', 'plain'],
  ['graceUseCount', 'grace_use_count', 'plain'],
];
const BY_FIELD = new Map(COLUMNS.map(([field, column, kind]) => [field, { column, kind }]));
const SELECT = `SELECT ${COLUMNS.map(([, column]) => column).join(', ')} FROM api_keys`;

function toParam(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'json') return JSON.stringify(value);
  return value;
}

function fromRow(row: Record<string, unknown>): ApiKeyRecord {
  const record: Record<string, unknown> = {};
  for (const [field, column, kind] of COLUMNS) {
    const value = row[column] ?? null;
    record[field] = kind === 'time' && value !== null ? (value as Date).toISOString() : value;
  }
  return record as unknown as ApiKeyRecord;
}

/** ApiKeyStore over a pg Pool whose search_path holds the migrated api_keys table. */
export function createPostgresApiKeyStore(pool: pg.Pool): ApiKeyStore {
  return {
    async get(keyId) {
      const { rows } = await pool.query(`${SELECT} WHERE key_id = $1`, [keyId]);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async create(record) {
      const params = COLUMNS.map(([field, , kind]) => toParam(kind, record[field]));
      const { rowCount } = await pool.query(
        `INSERT INTO api_keys (${COLUMNS.map(([, column]) => column).join(', ')})
         VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT (key_id) DO NOTHING`,
        params,
      );
      return rowCount === 1;
    },
    async update(keyId, patch) {
      const sets: string[] = [];
      const params: unknown[] = [keyId];
      for (const [field, value] of Object.entries(patch)) {
        const mapped = BY_FIELD.get(field as Field);
        // keyId and clientId never change (the type says so; a cast must not either).
        if (!mapped || value === undefined || ['keyId', 'clientId'].includes(field)) continue;
        params.push(toParam(mapped.kind, value));
        sets.push(`${mapped.column} = $${params.length}`);
      }
      const { rows } =
        sets.length === 0
          ? await pool.query(`${SELECT} WHERE key_id = $1`, [keyId])
          : await pool.query(
              `UPDATE api_keys SET ${sets.join(', ')} WHERE key_id = $1 RETURNING ${COLUMNS.map(([, c]) => c).join(', ')}`,
              params,
            );
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async listUsable(now) {
      const { rows } = await pool.query(
        `${SELECT} WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)`,
        [new Date(now)],
      );
      return rows.map(fromRow);
    },
    async listByClient(clientId) {
      const { rows } = await pool.query(`${SELECT} WHERE client_id = $1 ORDER BY created_at, key_id`, [
        clientId,
      ]);
      return rows.map(fromRow);
    },
    async recordUsage(usage) {
      if (usage.length === 0) return;
      // One statement for the whole batch; unknown key ids match no row.
      await pool.query(
        `UPDATE api_keys AS k
            SET last_used_at = u.at, last_used_ip = u.ip, grace_use_count = k.grace_use_count + u.grace
           FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::int[]) AS u(key_id, at, ip, grace)
          WHERE k.key_id = u.key_id`,
        [
          usage.map((u) => u.keyId),
          usage.map((u) => u.lastUsedAt),
          usage.map((u) => u.lastUsedIp),
          usage.map((u) => u.graceUses),
        ],
      );
    },
  };
}
