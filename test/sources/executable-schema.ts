/**
 * Builds an executable schema from source SDL and resolvers with graphql-js alone, as the gateway
 * attaches them (plain field resolvers, scalars by name). @graphql-tools is avoided on purpose:
 * vitest resolves `graphql` to its ESM build for test code while Node loads the CJS build for
 * externalised packages, and schemas cannot cross the two.
 */
import type { IResolvers } from '@graphql-tools/utils';
import {
  buildSchema,
  type GraphQLFieldResolver,
  GraphQLObjectType,
  GraphQLScalarType,
  type GraphQLSchema,
} from 'graphql';
import { DateTimeScalar, DecimalScalar } from '../../src/gateway/scalars.js';

/** One schema from several SDL documents (later ones may `extend type`) and resolver maps. */
export function buildExecutableSchema(
  typeDefs: readonly string[],
  resolvers: readonly IResolvers[],
): GraphQLSchema {
  const schema = buildSchema(typeDefs.join('\n'));
  for (const scalar of [DecimalScalar, DateTimeScalar]) {
    const type = schema.getType(scalar.name);
    if (!(type instanceof GraphQLScalarType)) continue;
    type.serialize = scalar.serialize;
    type.parseValue = scalar.parseValue;
    type.parseLiteral = scalar.parseLiteral;
  }
  for (const map of resolvers) {
    for (const [typeName, fields] of Object.entries(map)) {
      const type = schema.getType(typeName);
      if (!(type instanceof GraphQLObjectType)) throw new Error(`${typeName} is not an object type`);
      for (const [fieldName, resolve] of Object.entries(
        fields as Record<string, GraphQLFieldResolver<unknown, unknown>>,
      )) {
        const field = type.getFields()[fieldName];
        if (!field) throw new Error(`${typeName}.${fieldName} is not in the SDL`);
        field.resolve = resolve;
      }
    }
  }
  return schema;
}
