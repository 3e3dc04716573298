/**
 * `npm run compose:check`: the static check of docker-compose.yml, the Dockerfile and
 * deploy/nginx.conf (deploy/compose-check.ts); exits 1 listing every problem. With `--built` (after
 * `npm run build`) the compiled files the commands run must exist as well.
 */

import { parseArgs } from 'node:util';
import {
  COMPOSE_FILE,
  checkDeployment,
  NGINX_CONF,
  readDeploymentFiles,
  repositoryContext,
} from '../deploy/compose-check.js';
import { DOCKERFILE } from '../deploy/dockerfile-check.js';
import { gatewayVariables } from '../deploy/variables.js';

// --built (CI, after npm run build): the compiled files the commands run must exist too.
const { values } = parseArgs({ options: { built: { type: 'boolean', default: false } } });
const problems = checkDeployment(
  readDeploymentFiles(),
  repositoryContext(gatewayVariables.all, { built: values.built }),
);
if (problems.length > 0) {
  console.error(`compose:check found ${problems.length} problem(s):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(
  `compose:check: ${COMPOSE_FILE}, ${DOCKERFILE} and ${NGINX_CONF} agree with deploy/commands.ts and src/config.ts`,
);
