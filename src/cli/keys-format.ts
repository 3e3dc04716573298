/** What the key CLI prints: records without secret material, as JSON or as text for a terminal. */
import { keyState } from '../keys/state.js';
import type { ApiKeyRecord, AuditEvent } from '../keys/types.js';

/** A record as printed: no hash, the signing credential reduced to its type. */
export type KeySummary = Omit<ApiKeyRecord, 'hash' | 'signing'> & {
  signing: 'ed25519' | 'hmac-sha256' | null;
};

/** The printable form of a record (never its hash, public key or sealed secret). */
export function summary(record: ApiKeyRecord): KeySummary {
  const { hash: _hash, signing, ...rest } = record;
  return { ...rest, signing: signing?.type ?? null };
}

/** A key as a few labelled lines. */
export function describeKey(key: KeySummary, now = Date.now()): string {
  const rows: [string, string][] = [
    ['client', key.clientId],
    ['name', key.name],
    ['status', keyState(key, now)],
    ['environment', `${key.environment} (sy_${key.environment}_…)`],
    ['scopes', key.scopes.join(', ')],
    ['plan', key.plan],
    ['expires', key.expiresAt ?? 'never'],
    ['allowlist', key.allowedCidrs?.join(', ') ?? 'none (any address)'],
    ['signing', key.signing ?? 'none (cannot sign mutations)'],
  ];
  if (key.revokedAt) rows.push(['revoked', `${key.revokedAt}: ${key.revokedReason ?? ''}`]);
  if (key.supersededBy) rows.push(['replaced by', `${key.supersededBy}, works until ${key.sunsetAt}`]);
  return `key ${key.keyId} v${key.version}\n${rows.map(([label, value]) => `  ${label.padEnd(12)}${value}`).join('\n')}`;
}

/** Rows under a header, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Keys of one client, one line each. */
export function keyTable(keys: readonly KeySummary[], now = Date.now()): string {
  if (keys.length === 0) return 'no keys';
  return table(
    ['KEY ID', 'V', 'STATUS', 'ENV', 'PLAN', 'EXPIRES', 'SIGNING', 'SCOPES', 'NAME'],
    keys.map((k) => [
      k.keyId,
      String(k.version),
      keyState(k, now),
      k.environment,
      k.plan,
      k.expiresAt ?? 'never',
      k.signing ?? '-',
      k.scopes.join(','),
      k.name,
    ]),
  );
}

/** Audit events, newest first, one line each. */
export function auditTable(events: readonly AuditEvent[]): string {
  if (events.length === 0) return 'no audit events';
  return table(
    ['AT', 'TYPE', 'KEY ID', 'CLIENT', 'ACTOR', 'DETAIL'],
    events.map((e) => [
      e.at,
      e.type,
      e.keyId ?? '-',
      e.clientId ?? '-',
      e.actor ?? '-',
      [e.code, e.reason, e.ip && `ip ${e.ip}`].filter(Boolean).join(' '),
    ]),
  );
}
