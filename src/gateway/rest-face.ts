/**
 * The REST face's contract (src/plugins/use-rest-face.ts serves it): which root fields it exposes,
 * the schema SOFA generates its routes and OpenAPI document from, and how a GraphQL result becomes
 * a REST answer.
 */
import { filterSchema, pruneSchema } from '@graphql-tools/utils';
import type { ExecutionResult, GraphQLError, GraphQLSchema } from 'graphql';
import { errorCatalogue, isErrorCode } from '../errors.js';

/**
 * Root fields with a REST route. Not exposed: subscriptions (SOFA delivers them as webhooks to a
 * URL the client names, a server-side request forgery surface), and key administration (apiKeys,
 * apiKeyAudit, createApiKey, rotateApiKey, revokeApiKey, revokeAllApiKeys): operator and
 * self-service tools, kept on /graphql where their self-service rules are tested.
 */
export const restRootFields: Readonly<Record<'Query' | 'Mutation', readonly string[]>> = {
  Query: ['token', 'tokens', 'topTokens', 'accounts', 'portfolio', 'orders'],
  Mutation: ['placeOrder', 'cancelOrder'],
};

/**
 * Fields left out of the generated selections: SOFA selects every field of a type, and each token
 * would otherwise carry 24 candles (`@cost(weight: 10)`), so a 500-position portfolio would be
 * priced out of its budget. Candles stay on /graphql.
 */
export const restOmittedFields: readonly string[] = ['Token.candles'];

/** The schema SOFA sees: the exposed root fields and what they reach, without the omitted fields. */
export function restSchemaOf(schema: GraphQLSchema): GraphQLSchema {
  const rootNames = new Map<string, readonly string[]>();
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  if (query) rootNames.set(query.name, restRootFields.Query);
  if (mutation) rootNames.set(mutation.name, restRootFields.Mutation);
  const subscription = schema.getSubscriptionType()?.name;
  return pruneSchema(
    filterSchema({
      schema,
      typeFilter: (name) => name !== subscription,
      rootFieldFilter: (type, field) => rootNames.get(type)?.includes(field) ?? false,
      objectFieldFilter: (type, field) => !restOmittedFields.includes(`${type}.${field}`),
    }),
  );
}

/** The OpenAPI document's fixed parts: info, the credentials and the signature headers. */
export function restOpenApiBase(basePath: string) {
  return {
    info: {
      title: 'Switchyard REST',
      version: '1',
      description:
        'Generated from the GraphQL schema (the same policy: identity, scopes, rate limits, cost, ' +
        'signatures). Errors answer {"errors":[{"message","extensions":{"code"}}]} with the code\'s ' +
        'HTTP status. GET requests carry an X-GraphQL-Client header (any value), as on /graphql. ' +
        `Mutations (POST ${basePath}/…) need an RFC 9421 signature over this request: Signature-Input ` +
        'and Signature covering @method, @authority, @path, content-type and content-digest (RFC 9530).',
    },
    components: {
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
    // Anonymous calls are allowed where the field is public (token data).
    security: [{}, { ApiKey: [] }, { bearer: [] }],
  };
}

/** The HTTP status of a REST answer with errors: the highest of their statuses. */
function statusOf(error: GraphQLError): number {
  const http = error.extensions?.http as { status?: number } | undefined;
  if (http?.status) return http.status;
  const code = error.extensions?.code;
  return isErrorCode(code) ? errorCatalogue[code].status : 500;
}

/**
 * A GraphQL result as REST answers it: the root field's value with 200, or, when anything failed,
 * `{ errors }` (codes and messages as /graphql has them, already masked) with the worst status and
 * the errors' headers (Retry-After). A partial result is answered as a failure: REST has no place
 * for data beside errors.
 */
export function restResponse(
  result: ExecutionResult,
  fieldName: string | undefined,
  ResponseClass: typeof Response,
): Response {
  const errors = (result.errors ?? []) as readonly GraphQLError[];
  if (errors.length === 0 && fieldName !== undefined) {
    return ResponseClass.json(result.data?.[fieldName] ?? null, { status: 200 });
  }
  let status = 0;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  const body = errors.map((error) => {
    status = Math.max(status, statusOf(error));
    const { http, ...extensions } = error.extensions ?? {};
    Object.assign(headers, (http as { headers?: Record<string, string> } | undefined)?.headers);
    return {
      message: error.message,
      ...(error.path ? { path: error.path } : {}),
      extensions,
    };
  });
  return new ResponseClass(JSON.stringify({ errors: body }), { status: status || 500, headers });
}
