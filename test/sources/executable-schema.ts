/** Builds an executable schema from SDL documents and their resolvers exactly as the gateway does. */
import type { IResolvers } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { buildGatewaySchema } from '../../src/gateway/schema.js';

/** One schema from several SDL documents, each with its resolver map (same order). */
export function buildExecutableSchema(
  typeDefs: readonly string[],
  resolvers: readonly IResolvers[],
): GraphQLSchema {
  return buildGatewaySchema(
    typeDefs.map((sdl, i) => ({ name: `test-source-${i}`, typeDefs: sdl, resolvers: resolvers[i] ?? {} })),
  );
}
