/**
 * The typed-document contract of @graphql-typed-document-node/core, restated (it is structural), so
 * generated documents carry result and variable types without a runtime or type dependency.
 */

/** A document (here: a string) that knows its result and variables types. */
export interface DocumentTypeDecoration<
  TResult = { [key: string]: unknown },
  TVariables = { [key: string]: unknown },
> {
  /** Type-only: never set at runtime. */
  __apiType?: (variables: TVariables) => TResult;
}

/** A parsed document with result and variables types (for tools that pass DocumentNode). */
export interface TypedDocumentNode<
  TResult = { [key: string]: unknown },
  TVariables = { [key: string]: unknown },
> extends DocumentTypeDecoration<TResult, TVariables> {
  readonly kind: 'Document';
}

/** The result type of a typed document. */
export type ResultOf<T> = T extends DocumentTypeDecoration<infer R, infer _V> ? R : never;
/** The variables type of a typed document. */
export type VariablesOf<T> = T extends DocumentTypeDecoration<infer _R, infer V> ? V : never;
