/**
 * SDL that every source may rely on without declaring it: the shared scalars, and the gateway's
 * directive definitions (`schema/directives.graphql`, when it exists) such as `@requiresScopes`.
 * The gateway composes with it and codegen (codegen.ts) generates with it, so both see one schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { scalarTypeDefs } from './scalars.js';

/** Where the directive definitions live: copied next to the build by scripts/copy-assets.mjs. */
const DIRECTIVES_FILE = new URL('../../schema/directives.graphql', import.meta.url);

/** The shared SDL documents, scalars first. */
export function sharedTypeDefs(): string[] {
  return existsSync(DIRECTIVES_FILE)
    ? [scalarTypeDefs, readFileSync(DIRECTIVES_FILE, 'utf8')]
    : [scalarTypeDefs];
}
