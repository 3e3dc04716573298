/**
 * The composed public schema as an artifact (schema/schema.graphql): built from the same parts as
 * createGateway (src/server.ts) — every source of sources/index.ts and the gateway's key-admin part — by the
 * same buildGatewaySchema, without connecting to any upstream, and printed deterministically with
 * its directives. A test compares it with what a running gateway serves.
 */
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, lexicographicSortSchema } from 'graphql';
import { sources } from '../../sources/index.js';
import { keysSchemaPart } from '../keys/index.js';
import { sourceDefinitions } from './registry.js';
import { buildGatewaySchema } from './schema.js';
import type { SourceDefinition } from './source.js';

/** What the public schema is composed of: every source of the list, then the key-admin part. */
export function publicSchemaParts(): SourceDefinition[] {
  return [...sourceDefinitions(sources), keysSchemaPart];
}

/** The schema clients see. */
export function buildPublicSchema(): GraphQLSchema {
  return buildGatewaySchema(publicSchemaParts());
}

/** SDL with types, fields, arguments and enum values sorted, policy directives kept. */
export function printPublicSchema(schema: GraphQLSchema = buildPublicSchema()): string {
  return `${printSchemaWithDirectives(lexicographicSortSchema(schema)).trim()}\n`;
}
