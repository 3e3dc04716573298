/**
 * Field policy from the SDL: every field carrying `@requiresScopes` checks the principal's scopes
 * before its resolver runs. The policy lives in the schema (reviewed in pull requests, visible in
 * schema/schema.graphql, read once by schema-policy.ts); this wraps resolvers once, at boot, so
 * requests pay one set lookup.
 */
import {
  defaultFieldResolver,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { PrincipalContext } from '../auth/principal.js';
import { satisfiesScopes } from '../auth/scopes.js';
import { gatewayError } from '../errors.js';
import { policyEntries, type ScopeRequirement, schemaPolicy } from './schema-policy.js';

/** Scopes each guarded field needs (`@requiresScopes`), by coordinate, from the schema's policy. */
export function scopeRequirements(schema: GraphQLSchema): Map<string, ScopeRequirement> {
  return new Map(policyEntries(schemaPolicy(schema), 'scopes'));
}

/** Wraps the resolvers of every field with @requiresScopes; returns the coordinates guarded. */
export function applyScopePolicy(schema: GraphQLSchema): Map<string, ScopeRequirement> {
  const guarded = scopeRequirements(schema);
  for (const [coordinate, required] of guarded) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
    const describe = required.map((all) => all.join(' and ')).join(', or ');
    const guard = (resolver: GraphQLFieldResolver<unknown, PrincipalContext>) =>
      ((source, args, context, info) => {
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
        return resolver(source, args, context, info);
      }) satisfies GraphQLFieldResolver<unknown, PrincipalContext>;
    field.resolve = guard(field.resolve ?? defaultFieldResolver);
    // A subscription field opens its stream in `subscribe`: the same check guards it.
    if (field.subscribe) field.subscribe = guard(field.subscribe);
  }
  return guarded;
}
