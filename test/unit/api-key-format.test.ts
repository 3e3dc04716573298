import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, checksum, generateApiKey, parseApiKey } from '../../src/auth/api-key-format.js';

describe('API key format', () => {
  it('generates sy_<env>_<id>_<secret+checksum> keys that parse back to their id', () => {
    const { key, keyId } = generateApiKey('live');
    expect(key).toMatch(/^sy_live_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}$/);
    expect(parseApiKey(key)).toEqual({ environment: 'live', keyId });
  });

  it('carries at least 256 bits of secret and never repeats', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey('test').key));
    expect(keys.size).toBe(2000);
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });

  it('refuses every one-character typo by its checksum', () => {
    const { key } = generateApiKey('test');
    let refused = 0;
    for (let i = 8; i < key.length; i++) {
      if (key[i] === '_') continue;
      const typo = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      if (parseApiKey(typo) === null) refused++;
      else throw new Error(`typo at ${i} accepted`);
    }
    expect(refused).toBeGreaterThan(60);
  });

  it('refuses random strings, wrong prefixes and truncations', () => {
    const { key } = generateApiKey('test');
    for (const value of [
      '',
      'sy_test_',
      key.slice(0, -1),
      `${key}x`,
      key.replace('sy_test_', 'sy_prod_'),
      'Bearer abc',
    ]) {
      expect(parseApiKey(value)).toBeNull();
    }
  });

  it('is found in text by the documented pattern, and confirmed by its checksum', () => {
    const { key, keyId } = generateApiKey('live');
    const text = `config:\n  apiKey: "${key}"\n  other: sy_live_AAAAAAAAAAAAAAAA_${'B'.repeat(49)}\n`;
    const found = [...text.matchAll(API_KEY_PATTERN)].map((m) => m[0]);
    expect(found).toHaveLength(2);
    expect(found.map(parseApiKey).filter(Boolean)).toEqual([{ environment: 'live', keyId }]);
  });

  it('computes a stable 6-character checksum', () => {
    expect(checksum('sy_test_x')).toMatch(/^[0-9A-Za-z]{6}$/);
    expect(checksum('sy_test_x')).toBe(checksum('sy_test_x'));
  });
});
