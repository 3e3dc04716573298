/**
 * Field policy from the SDL: every field carrying `@requiresScopes` checks the principal's scopes
 * before its resolver runs. The policy lives in the schema (reviewed in pull requests, visible in
 * schema/schema.graphql); this wraps resolvers once, at boot, so requests pay one set lookup.
 */
import { getDirective } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  type GraphQLFieldResolver,
  GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { PrincipalContext } from '../auth/principal.js';
import { satisfiesScopes } from '../auth/scopes.js';
import { gatewayError } from '../errors.js';

/** Coordinates (`Type.field`) carrying a directive, with the directive's arguments. */
export function fieldsWithDirective(
  schema: GraphQLSchema,
  directive: string,
): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const args = getDirective(schema, field, directive)?.[0];
      if (args) found.set(`${type.name}.${field.name}`, args);
    }
  }
  return found;
}

/** Scopes each guarded field needs (`@requiresScopes`), by coordinate. */
export function scopeRequirements(schema: GraphQLSchema): Map<string, string[][]> {
  const required = new Map<string, string[][]>();
  for (const [coordinate, args] of fieldsWithDirective(schema, 'requiresScopes')) {
    const scopes = args.scopes as string[][];
    if (scopes.length === 0 || scopes.some((all) => all.length === 0)) {
      throw new Error(`${coordinate}: @requiresScopes needs non-empty scope lists`);
    }
    required.set(coordinate, scopes);
  }
  return required;
}

/** Wraps the resolvers of every field with @requiresScopes; returns the coordinates guarded. */
export function applyScopePolicy(schema: GraphQLSchema): Map<string, string[][]> {
  const guarded = scopeRequirements(schema);
  for (const [coordinate, required] of guarded) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
    const resolve: GraphQLFieldResolver<unknown, PrincipalContext> = field.resolve ?? defaultFieldResolver;
    const describe = required.map((all) => all.join(' and ')).join(', or ');
    field.resolve = (source, args, context, info) => {
      const principal = context.principal;
      if (!principal) {
        throw gatewayError(
          'UNAUTHENTICATED',
          'Sign in (X-API-Key or Authorization: Bearer) to read this field.',
        );
      }
      if (!satisfiesScopes(principal.scopes, required)) {
        throw gatewayError('FORBIDDEN', `This field needs the scope ${describe}.`, {
          requiredScopes: required.map((all) => all.join(' ')),
        });
      }
      return resolve(source, args, context, info);
    };
  }
  return guarded;
}
