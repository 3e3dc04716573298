import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, gatewayError } from '../../src/errors.js';

describe('error catalogue', () => {
  it("is the README's error table, code for code and status for status", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [
      code,
      Number(status),
    ]);
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(Object.entries(errorCatalogue).map(([code, entry]) => [code, entry.status])),
    );
  });

  it('builds errors with the code, and the HTTP status only for request-level errors', () => {
    expect(gatewayError('RATE_LIMITED').extensions).toEqual({ code: 'RATE_LIMITED' });
    expect(gatewayError('RATE_LIMITED', undefined, { retryAfter: 3 }, { http: true }).extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfter: 3,
      http: { status: 429 },
    });
  });
});
