import { describe, expect, it } from 'vitest';
import { createLogger, isSensitiveKey, REDACTED, redactSensitive } from '../../src/logger.js';

describe('log redaction', () => {
  it('recognises credential names in any spelling, and leaves identifiers alone', () => {
    for (const key of [
      'password',
      'newPassword',
      'apiKey',
      'api_key',
      'X-API-Key',
      'secret',
      'clientSecret',
      'signingHmacSecret',
      'signature',
      'Signature-Input',
      'authorization',
      'cookie',
      'token',
      'accessToken',
    ]) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
    for (const key of ['tokenId', 'keyId', 'keyVersion', 'clientId', 'accountId', 'requestId', 'quantity']) {
      expect(isSensitiveKey(key), key).toBe(false);
    }
  });

  it('redacts sensitive keys at any depth, in objects and arrays, without touching the original', () => {
    const value = {
      input: { clientId: 'c1', signingHmacSecret: 'AAAA', nested: [{ password: 'p' }, { ok: 1 }] },
      apiKey: 'sy_live_x',
      keep: 'yes',
    };
    const redacted = redactSensitive(value);
    expect(redacted).toEqual({
      input: { clientId: 'c1', signingHmacSecret: REDACTED, nested: [{ password: REDACTED }, { ok: 1 }] },
      apiKey: REDACTED,
      keep: 'yes',
    });
    expect(value.input.signingHmacSecret).toBe('AAAA');
    expect(value.input.nested[0]!.password).toBe('p');
  });

  it('returns clean objects as they are, and cuts objects deeper than it walks', () => {
    const clean = { a: { b: [1, 2, { c: 'd' }] } };
    expect(redactSensitive(clean)).toBe(clean);
    let deep: Record<string, unknown> = { password: 'deep-secret' };
    for (let i = 0; i < 12; i++) deep = { level: deep };
    expect(JSON.stringify(redactSensitive(deep))).not.toContain('deep-secret');
  });

  it('writes lines whose credentials are redacted, by path and by name', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      pretty: false,
      destination: { write: (line: string) => void lines.push(line) },
    });
    logger.info(
      {
        headers: { authorization: 'Bearer SECRET-1', 'x-api-key': 'SECRET-2' },
        variables: { input: { password: 'SECRET-3' } },
      },
      'line',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/SECRET-/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ headers: { authorization: REDACTED }, msg: 'line' });
  });
});
