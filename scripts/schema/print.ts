/**
 * `npm run schema:print`: writes the composed public SDL to schema/schema.graphql.
 * `npm run schema:print -- --check` (CI): fails when the committed file differs from what the
 * sources compose to, i.e. someone changed an SDL without reprinting.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { printPublicSchema } from '../../src/gateway/public-schema.js';
import { PUBLIC_SCHEMA_FILE, repoPath } from './paths.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const printed = printPublicSchema();

if (values.check) {
  let committed: string | undefined;
  try {
    committed = readFileSync(repoPath(PUBLIC_SCHEMA_FILE), 'utf8');
  } catch {
    committed = undefined;
  }
  if (committed !== printed) {
    console.error(
      `${PUBLIC_SCHEMA_FILE} is ${committed === undefined ? 'missing' : 'stale'}: the sources compose to a different schema.\n` +
        'Run `npm run schema:print`, review the diff (and `npm run schema:check`), and commit it.',
    );
    process.exit(1);
  }
  console.log(`${PUBLIC_SCHEMA_FILE} is up to date.`);
} else {
  writeFileSync(repoPath(PUBLIC_SCHEMA_FILE), printed);
  console.log(`wrote ${PUBLIC_SCHEMA_FILE} (${printed.split('\n').length - 1} lines)`);
}
