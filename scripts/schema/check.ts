/**
 * `npm run schema:check [-- --baseline <file|url>]`: compares the schema the sources compose to now
 * with a baseline (default: schema/schema.graphql at the merge base with main), prints every change
 * with its criticality, and validates every client operation in schema/operations against the new
 * schema. Exits 1 on a breaking change that schema/breaking-changes-allowlist.yaml does not list, or
 * on any broken client operation; dangerous changes are printed and pass.
 */
import { parseArgs } from 'node:util';
import { buildPublicSchema } from '../../src/gateway/public-schema.js';
import { loadAllowlist } from './allowlist.js';
import { type Baseline, baselineFrom, defaultBaseline } from './baseline.js';
import { checkSchema, formatSchemaCheck } from './compare.js';
import { loadClientOperations } from './operations.js';

const { values } = parseArgs({ options: { baseline: { type: 'string' } } });

try {
  const baseline: Baseline | undefined = values.baseline
    ? await baselineFrom(values.baseline)
    : defaultBaseline();
  const result = await checkSchema({
    baseline: baseline?.schema,
    current: buildPublicSchema(),
    operations: loadClientOperations(),
    allowlist: loadAllowlist(),
    ignoreDirectiveUsages: baseline ? !baseline.showsAppliedDirectives : false,
  });
  console.log(formatSchemaCheck(result, baseline?.description));
  process.exitCode = result.ok ? 0 : 1;
} catch (err) {
  // Unreadable inputs (allowlist, operation files, baseline) fail the check with their own message.
  console.error(`schema:check could not run: ${(err as Error).message}`);
  process.exitCode = 1;
}
