/**
 * Composes the sources into one executable schema. @graphql-tools/stitch merges the sources' type
 * definitions (Token from market, extended by signals, referenced by portfolio and trading); each
 * source's own resolvers, backed by its DataLoaders, then resolve the merged fields directly, and
 * a reference one source returns to another's type is completed once (references.ts).
 *
 * Why not subschema delegation: measured at 3-4x the CPU of one schema here
 * (shared/reference/performance.md) — the query would run once in the gateway and again in every
 * subschema. Why the rebuild: stitchSchemas gives every field `defaultMergedResolver` and binds
 * the resolvers it is given, which stops graphql-jit from inlining plain property reads; so the
 * stitched SDL is rebuilt into a plain schema and the sources' resolver functions are attached as
 * they are.
 */

import { stitchSchemas } from '@graphql-tools/stitch';
import { type IResolvers, printSchemaWithDirectives } from '@graphql-tools/utils';
import {
  buildSchema,
  defaultFieldResolver,
  type GraphQLFieldResolver,
  GraphQLObjectType,
  GraphQLScalarType,
  type GraphQLSchema,
} from 'graphql';
import { applyEntityReferences } from './references.js';
import { DateTimeScalar, DecimalScalar } from './scalars.js';
import { applyScopePolicy } from './scopes.js';
import { sharedTypeDefs } from './shared-type-defs.js';
import type { SourceDefinition } from './source.js';

/** Builds the public schema from the sources; called once at boot. */
export function buildGatewaySchema(sources: readonly SourceDefinition[]): GraphQLSchema {
  const stitched = stitchSchemas({
    typeDefs: [...sharedTypeDefs(), ...sources.map((source) => source.typeDefs)],
  });
  const schema = buildSchema(printSchemaWithDirectives(stitched), { assumeValidSDL: true });
  attachScalar(schema, DecimalScalar);
  attachScalar(schema, DateTimeScalar);
  const owners = new Map<string, string>();
  for (const source of sources) attachResolvers(schema, source.name, source.resolvers, owners);
  applyEntityReferences(schema, sources, owners);
  freshLoadersPerEvent(schema);
  applyScopePolicy(schema);
  return schema;
}

/**
 * A subscription runs every event with the context it started with: its loaders would serve the
 * first event's answers (a token's price) to every later one. Each event clears their caches first.
 */
function freshLoadersPerEvent(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (event, args, context: { clearLoaderCaches?: () => void }, info) => {
      context.clearLoaderCaches?.();
      return resolve(event, args, context, info);
    };
  }
}

function attachScalar(schema: GraphQLSchema, implementation: GraphQLScalarType): void {
  const type = schema.getType(implementation.name);
  if (!(type instanceof GraphQLScalarType)) return;
  type.serialize = implementation.serialize;
  type.parseValue = implementation.parseValue;
  type.parseLiteral = implementation.parseLiteral;
  type.description ??= implementation.description;
}

/** Attaches one source's resolvers in place; two sources resolving the same field is a boot error. */
function attachResolvers(
  schema: GraphQLSchema,
  sourceName: string,
  resolvers: IResolvers,
  owners: Map<string, string>,
): void {
  for (const [typeName, typeResolvers] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (typeResolvers instanceof GraphQLScalarType) {
      attachScalar(schema, typeResolvers);
      continue;
    }
    if (!(type instanceof GraphQLObjectType)) {
      throw new Error(
        `${sourceName}: resolvers given for ${typeName}, which is not an object type of the schema (enums serialise by name: map values in resolvers)`,
      );
    }
    const fields = type.getFields();
    for (const [fieldName, resolver] of Object.entries(typeResolvers as Record<string, unknown>)) {
      const field = fields[fieldName];
      if (!field)
        throw new Error(`${sourceName}: resolver for ${typeName}.${fieldName}, which no SDL declares`);
      const coordinate = `${typeName}.${fieldName}`;
      const owner = owners.get(coordinate);
      if (owner) throw new Error(`${coordinate} is resolved by both ${owner} and ${sourceName}`);
      owners.set(coordinate, sourceName);
      if (typeof resolver === 'function') {
        field.resolve = resolver as GraphQLFieldResolver<unknown, unknown>;
        continue;
      }
      // A subscription field: `subscribe` opens the event stream, `resolve` maps each event.
      const { resolve, subscribe } = resolver as {
        resolve?: GraphQLFieldResolver<unknown, unknown>;
        subscribe?: GraphQLFieldResolver<unknown, unknown>;
      };
      if (resolve) field.resolve = resolve;
      if (subscribe) field.subscribe = subscribe;
    }
  }
}
