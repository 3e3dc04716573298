/**
 * `npm run k8s:check`: deploy/kubernetes against the Kubernetes schemas and the project
 * (deploy/kubernetes-check.ts); exits 1 listing every problem. `--dir <folder>` checks another
 * folder laid out the same (the test breaks a copy on purpose).
 */

import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { checkKubernetes, KUBERNETES_DIR, readKubernetesFiles } from '../deploy/kubernetes-check.js';
import { gatewayVariables } from '../deploy/variables.js';

const { values } = parseArgs({ options: { dir: { type: 'string', default: KUBERNETES_DIR } } });
const files = readKubernetesFiles(values.dir);
const problems = checkKubernetes(files, gatewayVariables);
if (problems.length > 0) {
  console.error(`k8s:check found ${problems.length} problem(s):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(
  `k8s:check: ${files.manifests.length} manifests of ${relative(process.cwd(), values.dir) || '.'} validate against the Kubernetes schemas and agree with src/config.ts`,
);
