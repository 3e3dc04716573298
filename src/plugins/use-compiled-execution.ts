/**
 * Queries and mutations run as graphql-jit compiled functions, one compilation per schema, document
 * and operation name. @envelop/graphql-jit keys its cache on the document alone: a document holding
 * several operations ran the first one ever compiled whatever operation a later request named, so
 * a request the policies judged as `query A` could execute `mutation B` compiled by an earlier
 * (signed) request; and a first request naming an operation the document lacks cached its
 * compilation error for every later request of that document. Here a compilation error is answered
 * to its own request and never kept, so only real operations are cached (as many as the document has).
 * Subscriptions are not compiled: graphql-jit's subscribe hands the operation's variables to the
 * subscription field as its arguments (inline arguments are lost); they run on graphql-js.
 */
import { makeExecute } from '@envelop/core';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

export function useCompiledExecution(): Plugin {
  const compiled = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, CompiledQuery>>>();

  function compiledFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined) {
    let byDocument = compiled.get(schema);
    if (!byDocument) {
      byDocument = new WeakMap();
      compiled.set(schema, byDocument);
    }
    let byOperation = byDocument.get(document);
    if (!byOperation) {
      byOperation = new Map();
      byDocument.set(document, byOperation);
    }
    const key = operationName ?? '';
    const cached = byOperation.get(key);
    if (cached) return cached;
    const result = compileQuery(schema, document, operationName);
    if (isCompiledQuery(result)) byOperation.set(key, result);
    return result;
  }

  const execute = makeExecute((args) => {
    const query = compiledFor(args.schema, args.document, args.operationName ?? undefined);
    if (!isCompiledQuery(query)) return query as ExecutionResult;
    // Yoga serialises with the compiled stringifier when the result carries it.
    const withStringify = (result: ExecutionResult) => Object.assign(result, { stringify: query.stringify });
    const result = query.query(args.rootValue, args.contextValue, args.variableValues);
    return result instanceof Promise ? result.then(withStringify) : withStringify(result);
  });

  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn(execute);
    },
  };
}
