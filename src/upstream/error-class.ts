/**
 * The one classification of the errors a request can end with, read by the error mask (what the
 * client sees), Yoga's logger (what is logged in full) and the request outcome of the metrics and
 * the access log. It goes by class, code and structure, never by message text:
 *
 * - an error that carries a catalogue code is the gateway's own answer;
 * - a wrapped UpstreamError is a failed upstream call no source has mapped yet;
 * - an error graphql-js or graphql-jit raised itself (no original error) is a request error when it
 *   has no response path — parse (a `source` but no AST node), variables (at a variable definition)
 *   or validation (the rest) — and a broken schema contract when it has one (a resolver returned
 *   null for a non-null field, a value its scalar cannot serialise);
 * - anything else is a bug.
 */
import { GraphQLError, Kind } from 'graphql';
import { errorCatalogue, isErrorCode } from '../errors.js';
import { isUpstreamError } from './errors.js';

/** What an error is. */
export type ErrorClass =
  /** A client error of the catalogue: the gateway's own answer (or Yoga's HTTP refusal). */
  | 'catalogue'
  /** A failed upstream call (UpstreamError) not yet turned into its client error. */
  | 'upstream'
  /** The document could not be parsed. */
  | 'parse'
  /** A variable could not be coerced: missing, null where it may not be, or refused by its type. */
  | 'variables'
  /** The document is not valid against the schema, or names no operation that can run. */
  | 'validation'
  /** Anything else: a bug (a resolver's error outside the catalogue, a broken schema contract). */
  | 'internal';

/** The class of an error as Yoga hands it to the mask and the logger. */
export function classifyError(err: unknown): ErrorClass {
  if (!(err instanceof GraphQLError)) return isUpstreamError(err) ? 'upstream' : 'internal';
  const extensions = err.extensions as Record<string, unknown> | undefined;
  if (extensions?.unexpected) return 'internal';
  if (isErrorCode(extensions?.code)) return 'catalogue';
  const original = err.originalError;
  if (isUpstreamError(original)) return 'upstream';
  if (original instanceof GraphQLError && isErrorCode(original.extensions?.code)) return 'catalogue';
  if (atVariableDefinition(err)) return 'variables';
  // Something a resolver threw, or graphql's own execution errors (they have a path).
  if (original || err.path) return 'internal';
  const status = (extensions?.http as { status?: number } | undefined)?.status;
  if (status !== undefined && status >= 500) return 'internal';
  // graphql-js's syntax errors are the only ones built from a source position rather than a node.
  return err.source && !err.nodes ? 'parse' : 'validation';
}

/**
 * Whether graphql-js or graphql-jit raised `err` while coercing a variable, before execution.
 * graphql-js points such errors at the VariableDefinition node; graphql-jit's errors are its own
 * GraphQLError, which keeps the definition's `locations` but no node and no source (every
 * graphql-js error with locations has one or the other), and no path: nothing else it builds
 * before execution points into the document.
 */
function atVariableDefinition(err: GraphQLError): boolean {
  const node = err.nodes?.[0];
  if (node) return node.kind === Kind.VARIABLE_DEFINITION;
  return err.source === undefined && err.locations !== undefined && err.path === undefined;
}

/**
 * Whether a catalogue code says the client is at fault (a 4xx code) rather than the gateway or an
 * upstream (5xx). A code outside the catalogue is the gateway's fault.
 */
export function isClientFault(code: string): boolean {
  return isErrorCode(code) && errorCatalogue[code].status < 500;
}
