/**
 * The REST face (`/rest/v1`): routes and an OpenAPI 3 document generated from the schema by SOFA
 * (@graphql-yoga/plugin-sofa), executed through the very pipeline /graphql requests go through.
 *
 * Why not the SOFA plugin as it comes: it answers from Yoga's `onRequest` and runs its operations
 * on `getEnveloped(...).execute` directly, so every policy on `onRequestParse` and `onParams` would
 * be skipped — authentication (no principal, or a crash), CSRF, input limits, persisted operations,
 * and the raw body the signature is verified over. Here SOFA only routes: a REST request is handed
 * to Yoga's own request handler, and SOFA, asked inside the request parser, turns the URL and body
 * into the route's generated document and its variables. Everything after that is a GraphQL
 * request like any other: authentication, CSRF, input limits, persisted operations, parse and
 * validation, query protection and cost, the signature (over the REST request as the client sent
 * it: its method, authority, path, content type and the digest of its body), scopes, rate limits,
 * the response cache, error masking, metrics and logs. Only the answer's shape differs: the root
 * field's value, or `{ errors }` with the status of their catalogue codes.
 */

import { useSofa } from '@graphql-yoga/plugin-sofa';
import type { DocumentNode, ExecutionArgs, ExecutionResult, OperationDefinitionNode } from 'graphql';
import { print } from 'graphql';
import type { Plugin, YogaServer } from 'graphql-yoga';
import { gatewayError } from '../errors.js';
import { requestSlot } from '../gateway/request-slot.js';
import { restOpenApiBase, restResponse, restSchemaOf } from '../gateway/rest-face.js';
import type { PersistedOperationsMode } from './use-persisted-operations.js';

export interface RestFacePluginOptions {
  /** Where the REST face is served; the OpenAPI document is `<basePath>/openapi.json`. @default '/rest/v1' */
  basePath?: string;
  /**
   * PERSISTED_OPERATIONS. With `required` only the manifest's operations run, and the REST face's
   * generated operations are not in it: every REST operation is then refused (fail closed), with a
   * message saying so. The OpenAPI document is still served. @default 'automatic'
   */
  persistedOperations?: PersistedOperationsMode;
}

/** What SOFA's route handler hands to `execute`: the route's document and the request's variables. */
interface Captured {
  args?: ExecutionArgs;
}

const JSON_TYPE = /^application\/json\b/i;

export function useRestFace({
  basePath = '/rest/v1',
  persistedOperations = 'automatic',
}: RestFacePluginOptions = {}): Plugin {
  if (!/^\/[a-z0-9/_-]*[a-z0-9]$/i.test(basePath))
    throw new Error(`useRestFace: basePath must be a path without a trailing slash (got "${basePath}")`);
  const openApiPath = `${basePath}/openapi.json`;
  /** Requests of the REST face, marked in onRequest, read by the parser and the result processor. */
  const restRequests = requestSlot<Request, { fieldName?: string }>('restRequest');
  const printed = new WeakMap<DocumentNode, string>();
  /** Yoga's request handler after onRequest: request parsing, params, execution, result processing. */
  let yogaHandle: ((request: Request, serverContext: unknown) => Response | Promise<Response>) | undefined;

  const sofa = useSofa({
    basePath,
    // Types that refer to themselves are expanded once; the REST schema has no cycle anyway.
    depthLimit: 1,
    openAPI: restOpenApiBase(basePath),
    // Swagger UI loads its assets from a CDN: not under a strict CSP, and not needed to call the API.
    swaggerUI: { endpoint: '' as `/${string}` },
  });
  // SOFA executes nothing itself: the engine it is given records the route's operation, which the
  // request parser below hands to Yoga's pipeline.
  const capturingEngine = {
    getEnveloped: (serverContext: { capture: Captured }) => ({
      contextFactory: () => serverContext,
      execute: (args: ExecutionArgs): ExecutionResult => {
        serverContext.capture.args = args;
        return { data: {} };
      },
      subscribe: () => {
        throw new Error('the REST face has no subscriptions');
      },
    }),
  };
  // biome-ignore lint/suspicious/noExplicitAny: SOFA's plugin reads only getEnveloped of the Yoga it is given
  sofa.onYogaInit?.({ yoga: capturingEngine as any });

  /** Runs SOFA's router on a copy of the request (SOFA decorates the request object it routes). */
  async function route(request: Request, body: unknown): Promise<{ response?: Response; capture: Captured }> {
    const copy = new Request(request.url, {
      method: request.method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const capture: Captured = {};
    let response: Response | undefined;
    await sofa.onRequest?.({
      request: copy,
      url: new URL(copy.url),
      serverContext: { capture },
      endResponse: (answer: Response) => {
        response = answer;
      },
      // biome-ignore lint/suspicious/noExplicitAny: the SOFA plugin's onRequest reads request, url, serverContext, endResponse
    } as any);
    return { capture, ...(response ? { response } : {}) };
  }

  /** The GraphQL request a REST request stands for, or the catalogue error refusing it. */
  async function graphqlParamsOf(request: Request, body: unknown) {
    const path = new URL(request.url).pathname;
    // SOFA's webhook routes subscribe on behalf of the client and POST events to a URL it names.
    if (path === `${basePath}/webhook` || path.startsWith(`${basePath}/webhook/`)) throw notFound();
    const { response, capture } = await route(request, body);
    const args = capture.args;
    if (!args) {
      if (!response || response.status === 404) throw notFound();
      // SOFA refused the input (a variable it could not read); its message names the variable.
      const answer = (await response.json().catch(() => null)) as { errors?: { message?: string }[] } | null;
      throw gatewayError(
        'BAD_USER_INPUT',
        answer?.errors?.[0]?.message ?? 'The request does not match this route.',
        undefined,
        { http: true },
      );
    }
    const operation = args.document.definitions[0] as OperationDefinitionNode;
    const root = operation.selectionSet.selections[0];
    const state = restRequests.get(request);
    if (state && root?.kind === 'Field') state.fieldName = root.name.value;
    let query = printed.get(args.document);
    if (query === undefined) {
      query = print(args.document);
      printed.set(args.document, query);
    }
    return {
      query,
      variables: (args.variableValues ?? {}) as Record<string, unknown>,
      operationName: operation.name?.value,
    };
  }

  const notFound = () =>
    gatewayError('NOT_FOUND', `No such REST route: the routes are listed in ${openApiPath}.`, undefined, {
      http: true,
    });

  return {
    onYogaInit({ yoga }) {
      const server = yoga as unknown as YogaServer<Record<string, unknown>, Record<string, unknown>>;
      yogaHandle = server.handle as unknown as typeof yogaHandle;
    },
    onSchemaChange(payload) {
      sofa.onSchemaChange?.({ ...payload, schema: restSchemaOf(payload.schema) });
    },
    // Not async: a GraphQL request passes without a promise (see useMetricsEndpoint).
    onRequest({ request, url, serverContext, endResponse }) {
      if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return;
      if (url.pathname === openApiPath && request.method === 'GET') {
        return route(request, undefined).then(({ response }) => {
          if (response) endResponse(response);
        });
      }
      // Into Yoga's own pipeline (every onRequestParse, onParams and envelop hook), from here: the
      // onRequest hooks before this plugin (body limit, request id, metrics) have run, and every
      // onResponse hook runs on the answer.
      restRequests.set(request, {});
      return Promise.resolve(yogaHandle!(request, serverContext)).then(endResponse);
    },
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (!restRequests.has(request)) return;
      // A JSON POST's parser is useSignedMutations' (it keeps the raw body the signature covers).
      const parseBody = request.method === 'POST' ? requestParser : undefined;
      setRequestParser(async (req) => {
        if (persistedOperations === 'required') {
          throw gatewayError(
            'PERSISTED_QUERY_NOT_FOUND',
            'Only persisted operations run here (PERSISTED_OPERATIONS=required): the REST face is off; use /graphql with the manifest.',
            undefined,
            { http: true },
          );
        }
        let body: unknown;
        if (req.method === 'POST') {
          if (!parseBody || !JSON_TYPE.test(req.headers.get('content-type') ?? ''))
            throw gatewayError(
              'BAD_REQUEST',
              'REST request bodies are JSON: send Content-Type: application/json.',
              undefined,
              { http: true },
            );
          body = await parseBody(req);
          if (Array.isArray(body))
            throw gatewayError('BAD_REQUEST', 'A REST request body is one JSON object.', undefined, {
              http: true,
            });
        }
        return graphqlParamsOf(req, body);
      });
    },
    onResultProcess({ request, setResultProcessor }) {
      const state = restRequests.get(request);
      if (!state) return;
      setResultProcessor(
        (result, fetchAPI) => restResponse(result as ExecutionResult, state.fieldName, fetchAPI.Response),
        'application/json',
      );
    },
  };
}
