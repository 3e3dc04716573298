import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, gatewayError, gatewayWarning, warningCatalogue } from '../../src/errors.js';

/** Every TypeScript file of the gateway and its sources (generated code and sandboxes aside). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === 'generated' || name === 'sandbox' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}
const root = new URL('../../', import.meta.url).pathname;

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

  it('sets the status of codes that always refuse the whole request, whatever the throw site says', () => {
    expect(gatewayError('SIGNATURE_INVALID').extensions).toEqual({
      code: 'SIGNATURE_INVALID',
      http: { status: 401 },
    });
    expect(gatewayError('FORBIDDEN').extensions).toEqual({ code: 'FORBIDDEN' });
  });

  it('builds warnings from their own catalogue', () => {
    expect(gatewayWarning('KEY_DEPRECATED', undefined, { replacedBy: 'k2' })).toEqual({
      code: 'KEY_DEPRECATED',
      message: warningCatalogue.KEY_DEPRECATED.message,
      replacedBy: 'k2',
    });
  });

  it('is the only place that spells a code: no `code: "…"` literal elsewhere in src/ or sources/', () => {
    const literal = /\bcode:\s*['"`][A-Z][A-Z_]+['"`]/;
    const offenders = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'sources'))]
      .filter((file) => !file.endsWith('src/errors.ts'))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, i) =>
            literal.test(line) ? [`${file.slice(root.length)}:${i + 1}: ${line.trim()}`] : [],
          ),
      );
    expect(offenders).toEqual([]);
  });
});
