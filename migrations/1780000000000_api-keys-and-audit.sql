-- Up Migration
-- API keys (the system of record: hashes, metadata, revocations, rotation chains) and the audit
-- trail (append-only, hash-chained). Times are timestamptz; the store maps them to ISO strings.

CREATE TABLE api_keys (
  key_id text PRIMARY KEY,
  client_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  name text NOT NULL,
  environment text NOT NULL CHECK (environment IN ('live', 'test')),
  scopes text[] NOT NULL,
  plan text NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text,
  superseded_by text,
  sunset_at timestamptz,
  allowed_cidrs text[],
  signing jsonb,
  last_used_at timestamptz,
  last_used_ip text,
  grace_use_count integer NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_client_idx ON api_keys (client_id, created_at);
CREATE INDEX api_keys_superseded_by_idx ON api_keys (superseded_by) WHERE superseded_by IS NOT NULL;

-- hash = sha256(prev_hash || canonical JSON of event), hex; the first entry's prev_hash is 64 zeros.
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type text NOT NULL,
  at timestamptz NOT NULL,
  key_id text,
  client_id text,
  event jsonb NOT NULL,
  prev_hash char(64) NOT NULL,
  hash char(64) NOT NULL UNIQUE
);
CREATE INDEX audit_events_key_idx ON audit_events (key_id) WHERE key_id IS NOT NULL;
CREATE INDEX audit_events_client_idx ON audit_events (client_id) WHERE client_id IS NOT NULL;

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_events_no_update_or_delete
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Down Migration
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE api_keys;
