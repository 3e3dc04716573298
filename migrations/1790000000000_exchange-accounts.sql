-- Up Migration
-- Linked exchange accounts (sources/exchange): users' exchange API keys, held only as envelopes
-- (AES-256-GCM under a per-record data key, wrapped by a versioned key-encryption key and bound to
-- the owner and id). Unlinking deletes the row: no copy of the ciphertext is kept.

CREATE TABLE exchange_accounts (
  id text PRIMARY KEY,
  owner text NOT NULL,
  exchange text NOT NULL,
  label text NOT NULL,
  key_fingerprint text NOT NULL,
  permissions jsonb NOT NULL,
  sealed text NOT NULL,
  linked_at timestamptz NOT NULL,
  last_used_at timestamptz,
  UNIQUE (owner, key_fingerprint)
);
CREATE INDEX exchange_accounts_owner_idx ON exchange_accounts (owner, linked_at);

-- Down Migration
DROP TABLE exchange_accounts;
