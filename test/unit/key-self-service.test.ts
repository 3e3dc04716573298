import { describe, expect, it } from 'vitest';
import { cidrCoverage, isAllowAll, isCidrWithin, parseCidrs } from '../../src/auth/client-ip.js';
import type { Principal } from '../../src/auth/principal.js';
import {
  actingBounds,
  clampedExpiry,
  isNoWider,
  type KeyBounds,
  narrowedCreation,
  widenings,
} from '../../src/keys/self-service.js';
import type { ApiKeyRecord } from '../../src/keys/types.js';

const IN_7_DAYS = '2026-06-08T00:00:00.000Z';
const IN_8_DAYS = '2026-06-09T00:00:00.000Z';
const IN_1_DAY = '2026-06-02T00:00:00.000Z';

const acting: KeyBounds = {
  scopes: ['market:read', 'keys:self'],
  allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
  expiresAt: IN_7_DAYS,
  plan: 'free',
};
const unbounded: KeyBounds = {
  scopes: ['market:read', 'keys:self'],
  allowedCidrs: null,
  expiresAt: null,
  plan: 'free',
};

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return String((err as { extensions?: { code?: string } }).extensions?.code ?? (err as Error).message);
  }
  return 'returned';
}

describe('self-service: no wider than the acting key', () => {
  it('accepts the acting key itself and anything narrower in every dimension', () => {
    expect(widenings(acting, acting)).toEqual([]);
    expect(
      isNoWider(
        { scopes: ['market:read'], allowedCidrs: ['10.1.0.0/16'], expiresAt: IN_1_DAY, plan: 'free' },
        acting,
      ),
    ).toBe(true);
  });

  it('scopes: refuses a scope the acting key lacks, accepts a subset, and not the other way round', () => {
    const candidate = { ...acting, scopes: ['market:read', 'portfolio:read'] };
    expect(widenings(candidate, acting)).toEqual(['scopes portfolio:read']);
    expect(isNoWider({ ...acting, scopes: ['market:read'] }, acting)).toBe(true);
    expect(widenings(acting, { ...acting, scopes: ['market:read'] })).toEqual(['scopes keys:self']);
    expect(widenings({ ...acting, scopes: ['trade:write'] }, acting)).toEqual(['scopes trade:write']);
  });

  it('allowlist: a key with one bounds the candidate to blocks inside its own; without one, nothing', () => {
    const wider = (allowedCidrs: string[] | null) => widenings({ ...acting, allowedCidrs }, acting);
    expect(wider(null)).toEqual(['no IP allowlist']);
    expect(wider([])).toEqual(['no IP allowlist']);
    expect(wider(['10.0.0.0/8'])).toEqual([]);
    expect(wider(['10.20.30.40'])).toEqual([]);
    expect(wider(['2001:db8:1::/48'])).toEqual([]);
    expect(wider(['10.0.0.0/7'])).toEqual(['allowlist blocks outside yours: 10.0.0.0/7']);
    expect(wider(['10.1.0.0/16', '192.0.2.0/24'])).toEqual(['allowlist blocks outside yours: 192.0.2.0/24']);
    expect(wider(['0.0.0.0/0'])).toEqual(['allowlist blocks outside yours: 0.0.0.0/0']);
    expect(wider(['::/0'])).toEqual(['allowlist blocks outside yours: ::/0']);
    expect(wider(['2001:db9::/32'])).toEqual(['allowlist blocks outside yours: 2001:db9::/32']);
    // The acting key without an allowlist bounds nothing here; the reverse direction is wider.
    expect(widenings({ ...unbounded, allowedCidrs: ['192.0.2.0/24'] }, unbounded)).toEqual([]);
    expect(widenings(unbounded, { ...unbounded, allowedCidrs: ['192.0.2.0/24'] })).toEqual([
      'no IP allowlist',
    ]);
  });

  it('allowlist: compares IPv4 and IPv4-mapped IPv6 as BlockList matches them', () => {
    expect(isCidrWithin('::ffff:10.1.0.0/112', ['10.0.0.0/8'])).toBe(true);
    expect(isCidrWithin('10.1.0.0/16', ['::ffff:10.0.0.0/104'])).toBe(true);
    expect(isCidrWithin('::ffff:11.0.0.0/104', ['10.0.0.0/8'])).toBe(false);
    // ::/96 (IPv4-compatible) is not IPv4 for BlockList, so not inside an IPv4 block either.
    expect(isCidrWithin('::a00:0/104', ['10.0.0.0/8'])).toBe(false);
    // Host bits are ignored, as BlockList ignores them.
    expect(isCidrWithin('10.1.2.3/16', ['10.1.0.0/16'])).toBe(true);
    // A block split across two blocks of the acting list is refused (conservative, documented).
    expect(isCidrWithin('10.0.0.0/7', ['10.0.0.0/8', '11.0.0.0/8'])).toBe(false);
    expect(isCidrWithin('not a block', ['10.0.0.0/8'])).toBe(false);
    expect(isCidrWithin('10.0.0.0/8', ['10.0.0.0/33'])).toBe(false);
  });

  it('expiry: a key that expires bounds the candidate to expire no later; one that does not, nothing', () => {
    expect(widenings({ ...acting, expiresAt: null }, acting)).toEqual(['no expiry']);
    expect(widenings({ ...acting, expiresAt: IN_8_DAYS }, acting)).toEqual([
      `expiry after yours (${IN_7_DAYS})`,
    ]);
    expect(widenings({ ...acting, expiresAt: IN_7_DAYS }, acting)).toEqual([]);
    expect(widenings({ ...acting, expiresAt: IN_1_DAY }, acting)).toEqual([]);
    expect(widenings({ ...acting, expiresAt: 'garbage' }, acting)).toEqual([
      `expiry after yours (${IN_7_DAYS})`,
    ]);
    expect(widenings({ ...unbounded, expiresAt: IN_8_DAYS }, unbounded)).toEqual([]);
    expect(widenings(unbounded, { ...unbounded, expiresAt: IN_1_DAY })).toEqual(['no expiry']);
  });

  it('plan: only the same plan, in either direction', () => {
    expect(widenings({ ...acting, plan: 'pro' }, acting)).toEqual(['plan pro']);
    expect(widenings(acting, { ...acting, plan: 'pro' })).toEqual(['plan free']);
  });

  it('names every dimension at once', () => {
    expect(
      widenings({ scopes: ['trade:write'], allowedCidrs: null, expiresAt: null, plan: 'enterprise' }, acting),
    ).toEqual(['scopes trade:write', 'no IP allowlist', 'no expiry', 'plan enterprise']);
  });
});

describe('self-service: bounds of the acting principal', () => {
  const principal = (via: 'jwt' | 'api-key', scopes: string[]): Principal => ({
    userId: 'acme',
    clientId: 'acme',
    via,
    scopes: new Set(scopes),
    plan: 'pro',
    ...(via === 'api-key' ? { keyId: 'K'.repeat(16), keyVersion: 1 } : {}),
  });
  const record = {
    keyId: 'K'.repeat(16),
    scopes: ['market:read', 'keys:self'],
    allowedCidrs: ['10.0.0.0/8'],
    expiresAt: IN_7_DAYS,
    plan: 'pro',
  } as ApiKeyRecord;

  it('bounds an API key by its record: scopes, allowlist, expiry and plan', () => {
    expect(actingBounds(principal('api-key', ['market:read', 'keys:self']), record)).toEqual({
      scopes: ['market:read', 'keys:self'],
      allowedCidrs: ['10.0.0.0/8'],
      expiresAt: IN_7_DAYS,
      plan: 'pro',
    });
  });

  it('refuses an API key whose record cannot be read, rather than acting unbounded', () => {
    expect(codeOf(() => actingBounds(principal('api-key', ['keys:self']), null))).toBe('FORBIDDEN');
    const other = { ...record, keyId: 'L'.repeat(16) };
    expect(codeOf(() => actingBounds(principal('api-key', ['keys:self']), other))).toBe('FORBIDDEN');
  });

  it('bounds a JWT by its scopes and plan only', () => {
    expect(actingBounds(principal('jwt', ['market:read', 'keys:self']), null)).toEqual({
      scopes: ['market:read', 'keys:self'],
      allowedCidrs: null,
      expiresAt: null,
      plan: 'pro',
    });
  });
});

describe('self-service: what a creation request gets when it omits something', () => {
  it('narrows omitted scopes to the acting scopes among the read-only defaults', () => {
    expect(narrowedCreation({}, acting).scopes).toEqual(['market:read']);
    const reader = { ...acting, scopes: ['market:read', 'portfolio:read', 'trade:write', 'keys:self'] };
    expect(narrowedCreation({}, reader).scopes).toEqual(['market:read', 'portfolio:read']);
    expect(codeOf(() => narrowedCreation({}, { ...acting, scopes: ['keys:self', 'trade:write'] }))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('inherits the allowlist, the expiry and the plan; keeps what is given for the service to judge', () => {
    expect(narrowedCreation({}, acting)).toEqual({
      scopes: ['market:read'],
      allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
      expiresAt: new Date(IN_7_DAYS),
      plan: 'free',
    });
    expect(narrowedCreation({ allowedCidrs: [] }, acting).allowedCidrs).toEqual(acting.allowedCidrs);
    const given = narrowedCreation(
      { scopes: ['portfolio:read'], allowedCidrs: ['192.0.2.0/24'], expiresAt: new Date(IN_8_DAYS) },
      acting,
    );
    expect(given).toEqual({
      scopes: ['portfolio:read'],
      allowedCidrs: ['192.0.2.0/24'],
      expiresAt: new Date(IN_8_DAYS),
      plan: 'free',
    });
    expect(narrowedCreation({}, unbounded)).toMatchObject({ allowedCidrs: null, expiresAt: null });
  });

  it('clamps a rotated key to the acting expiry, and leaves it alone without one', () => {
    expect(clampedExpiry(null, acting)).toBe(IN_7_DAYS);
    expect(clampedExpiry(IN_8_DAYS, acting)).toBe(IN_7_DAYS);
    expect(clampedExpiry(IN_1_DAY, acting)).toBe(IN_1_DAY);
    expect(clampedExpiry(null, unbounded)).toBeNull();
    expect(clampedExpiry(IN_8_DAYS, unbounded)).toBe(IN_8_DAYS);
  });
});

describe('allow-all lists', () => {
  const slash8s = Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`);
  it.each([
    [['0.0.0.0/0']],
    [['::/0']],
    [['0.0.0.0/0', '::/0']],
    [['192.0.2.0/24', '::/0']],
    [['::ffff:0:0/96']],
    [['::ffff:0.0.0.0/96']],
    [['0.0.0.0/1', '128.0.0.0/1']],
    [['::ffff:0:0/97', '128.0.0.0/1']],
    [['::/1', '8000::/1']],
    [['2000::/3']],
    [['2000::/4', '3000::/4']],
    [slash8s],
  ])('%j admits every address: not an allowlist', (cidrs) => {
    expect(isAllowAll(cidrs)).toBe(true);
  });

  it.each([
    [['10.0.0.0/8']],
    [['2001:db8::/32', '192.0.2.0/24']],
    [slash8s.slice(1)],
    [['::/96']],
    [['2000::/4']],
  ])('%j is a (perhaps broad) allowlist', (cidrs) => {
    expect(isAllowAll(cidrs)).toBe(false);
  });

  it('counts the addresses a list admits once, IPv4 however it is written', () => {
    expect(cidrCoverage(['10.0.0.0/8', '10.1.0.0/16', '::ffff:10.2.0.0/112'])).toEqual({
      ipv4: 1n << 24n,
      ipv6: 0n,
    });
    expect(cidrCoverage(['2001:db8::/32', '192.0.2.1'])).toEqual({ ipv4: 1n, ipv6: 1n << 96n });
    // Everything but one address: not allow-all, but far beyond a /8 (the trade:write policy's bound).
    const allButOne = Array.from({ length: 32 }, (_, i) => {
      const base = i === 0 ? 0 : 2 ** 32 - 2 ** (32 - i);
      return `${[24, 16, 8, 0].map((s) => (base >>> s) & 255).join('.')}/${i + 1}`;
    });
    expect(isAllowAll(allButOne)).toBe(false);
    expect(cidrCoverage(allButOne).ipv4).toBe((1n << 32n) - 1n);
  });

  it('refuses malformed prefixes that Number() would have read as a length', () => {
    for (const cidr of [
      '10.0.0.0/',
      '10.0.0.0/ 8',
      '10.0.0.0/0x8',
      '10.0.0.0/1e1',
      '10.0.0.0/8/8',
      'fe80::1%eth0/64',
    ])
      expect(() => parseCidrs([cidr]), cidr).toThrow(RangeError);
    expect(() => parseCidrs(['10.0.0.0/8', '2001:db8::1', '::ffff:10.0.0.0/104'])).not.toThrow();
  });
});
