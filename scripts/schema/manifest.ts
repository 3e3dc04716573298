/**
 * `npm run operations:manifest [-- --out file.json]`: the client operations as a persisted-operation
 * manifest (Apollo's format: `id` is the sha256 of the normalised body), on stdout or into a file.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadClientOperations, persistedOperationManifest } from './operations.js';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const manifest = `${JSON.stringify(persistedOperationManifest(loadClientOperations()), null, 2)}\n`;
if (values.out) writeFileSync(values.out, manifest);
else process.stdout.write(manifest);
