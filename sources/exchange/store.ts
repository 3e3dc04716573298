/**
 * Linked exchange accounts: PostgreSQL (table exchange_accounts, migrations/) is their system of
 * record; memory serves one process (demo, tests). A record holds the user's exchange key only as an
 * envelope (`sealed`, src/keys/keyring.ts) bound to its owner and id; unlinking deletes the row, so
 * the ciphertext is gone at once for every instance (none keeps a copy).
 */
import type { Pool } from 'pg';
import type { ExchangePermissions } from './types.js';

/** One linked account as stored. Times are ISO strings. */
export interface LinkedAccount {
  readonly id: string;
  /** The user who linked it (the principal's userId): the only one who can see or use it. */
  readonly owner: string;
  readonly exchange: string;
  readonly label: string;
  /** `sha256:<16 hex>` of the exchange API key: recognisable, not reversible. */
  readonly keyFingerprint: string;
  /** What the exchange said the key can do, at link time. */
  readonly permissions: ExchangePermissions;
  /** The envelope of the key and its secret (never returned by any field). */
  readonly sealed: string;
  readonly linkedAt: string;
  readonly lastUsedAt: string | null;
}

export interface LinkedAccountStore {
  /** Stores a new link; false when the owner already linked this key (same fingerprint). */
  create(account: LinkedAccount): Promise<boolean>;
  /** The owner's links, oldest first. */
  listByOwner(owner: string): Promise<LinkedAccount[]>;
  /** Links by id, each only if it is `owner`'s (another owner's id reads as unknown). */
  getMany(owner: string, ids: readonly string[]): Promise<Map<string, LinkedAccount>>;
  /** Deletes the owner's link and its ciphertext; the record as it was, null when unknown. */
  remove(owner: string, id: string): Promise<LinkedAccount | null>;
  /** Records the last use of links (one statement for the batch). */
  touch(ids: readonly string[], at: string): Promise<void>;
  /** Every link, in pages (rewrap): `after` the last id of the previous page. */
  page(after: string | null, limit: number): Promise<LinkedAccount[]>;
  /** Replaces the envelope of a link if it is still `expected` (a rewrap racing an unlink or another rewrap). */
  replaceSealed(id: string, expected: string, sealed: string): Promise<boolean>;
}

/** One process's links (demo mode, tests). */
export function createMemoryLinkedAccountStore(): LinkedAccountStore {
  const byId = new Map<string, LinkedAccount>();
  const owned = (owner: string, id: string) => {
    const account = byId.get(id);
    return account?.owner === owner ? account : undefined;
  };
  return {
    async create(account) {
      const duplicate = [...byId.values()].some(
        (a) => a.owner === account.owner && a.keyFingerprint === account.keyFingerprint,
      );
      if (duplicate || byId.has(account.id)) return false;
      byId.set(account.id, account);
      return true;
    },
    async listByOwner(owner) {
      return [...byId.values()].filter((a) => a.owner === owner);
    },
    async getMany(owner, ids) {
      return new Map(ids.flatMap((id) => (owned(owner, id) ? [[id, owned(owner, id)!] as const] : [])));
    },
    async remove(owner, id) {
      const account = owned(owner, id);
      if (!account) return null;
      byId.delete(id);
      return account;
    },
    async touch(ids, at) {
      for (const id of ids) {
        const account = byId.get(id);
        if (account) byId.set(id, { ...account, lastUsedAt: at });
      }
    },
    async page(after, limit) {
      return [...byId.values()]
        .filter((a) => after === null || a.id > after)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, limit);
    },
    async replaceSealed(id, expected, sealed) {
      const account = byId.get(id);
      if (account?.sealed !== expected) return false;
      byId.set(id, { ...account, sealed });
      return true;
    },
  };
}

const COLUMNS = 'id, owner, exchange, label, key_fingerprint, permissions, sealed, linked_at, last_used_at';

interface Row {
  id: string;
  owner: string;
  exchange: string;
  label: string;
  key_fingerprint: string;
  permissions: ExchangePermissions;
  sealed: string;
  linked_at: Date;
  last_used_at: Date | null;
}

const fromRow = (row: Row): LinkedAccount => ({
  id: row.id,
  owner: row.owner,
  exchange: row.exchange,
  label: row.label,
  keyFingerprint: row.key_fingerprint,
  permissions: row.permissions,
  sealed: row.sealed,
  linkedAt: row.linked_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
});

/** Links in PostgreSQL, over a pool whose search_path holds the migrated exchange_accounts table. */
export function createPostgresLinkedAccountStore(pool: Pool): LinkedAccountStore {
  return {
    async create(a) {
      const { rowCount } = await pool.query(
        `INSERT INTO exchange_accounts (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT DO NOTHING`,
        [
          a.id,
          a.owner,
          a.exchange,
          a.label,
          a.keyFingerprint,
          JSON.stringify(a.permissions),
          a.sealed,
          a.linkedAt,
          a.lastUsedAt,
        ],
      );
      return rowCount === 1;
    },
    async listByOwner(owner) {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM exchange_accounts WHERE owner = $1 ORDER BY linked_at, id`,
        [owner],
      );
      return rows.map(fromRow);
    },
    async getMany(owner, ids) {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM exchange_accounts WHERE owner = $1 AND id = ANY($2::text[])`,
        [owner, ids],
      );
      return new Map(rows.map((row) => [row.id, fromRow(row)]));
    },
    async remove(owner, id) {
      const { rows } = await pool.query<Row>(
        `DELETE FROM exchange_accounts WHERE owner = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [owner, id],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async touch(ids, at) {
      if (ids.length === 0) return;
      await pool.query(
        `UPDATE exchange_accounts SET last_used_at = $2
          WHERE id = ANY($1::text[]) AND (last_used_at IS NULL OR last_used_at < $2)`,
        [ids, at],
      );
    },
    async page(after, limit) {
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM exchange_accounts WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
        [after, limit],
      );
      return rows.map(fromRow);
    },
    async replaceSealed(id, expected, sealed) {
      const { rowCount } = await pool.query(
        'UPDATE exchange_accounts SET sealed = $3 WHERE id = $1 AND sealed = $2',
        [id, expected, sealed],
      );
      return rowCount === 1;
    },
  };
}
