/** The key-admin part of the schema: gateway-owned, stitched like a source but with no upstream. */
import { readFileSync } from 'node:fs';
import type { SourceDefinition } from '../gateway/source.js';
import { keysResolvers } from './resolvers.js';

export const keysSchemaPart: SourceDefinition = {
  name: 'keys',
  typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
  resolvers: keysResolvers,
};

export type { KeysContext } from './resolvers.js';
export { createKeyService, type KeyService } from './service.js';
