/**
 * Persisted operations, in Apollo's protocol (`extensions.persistedQuery: { version: 1, sha256Hash }`):
 *
 * - `automatic` (APQ, every client): a request with only a hash runs the document registered under
 *   it — the client operations of schema/operations by their manifest id, or one a client
 *   registered — else answers `PersistedQueryNotFound` (PERSISTED_QUERY_NOT_FOUND), and the client
 *   sends the hash with the query, which is checked against the hash and registered in the shared
 *   store once it has passed validation and query protection. Requests without a hash run as usual.
 * - `required` (allowlist, the mode mobile apps ship with): only the client operations run, by hash
 *   or by their exact text (as printed in the manifest, or as the file is written); nothing else
 *   runs and nothing is registered.
 *
 * Yoga's own persisted-operations plugin only serves a fixed list (no registration), hence this one.
 */
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { gatewayError } from '../errors.js';
import { type ClientOperation, sha256Hex } from '../gateway/client-operations.js';
import { onEveryOperation } from '../gateway/policy-hook.js';
import { requestSlot } from '../gateway/request-slot.js';
import type { PersistedOperationStore } from '../stores/persisted-operations.js';

export type PersistedOperationsMode = 'automatic' | 'required';

export interface PersistedOperationsPluginOptions {
  /** PERSISTED_OPERATIONS. @default 'automatic' */
  mode?: PersistedOperationsMode;
  /** The client operations (schema/operations), loaded once at boot: the allowlist. */
  operations: readonly ClientOperation[];
  /** Registrations (automatic mode): Redis across instances, memory otherwise. */
  store: PersistedOperationStore;
  /** How long a registered document is kept, in seconds. @default 86400 (a day) */
  ttlSeconds?: number;
  /**
   * Largest document registered, in bytes; a larger one still runs, it is just not stored.
   * @default 32768 (the largest client operation is under 1 KiB)
   */
  maxDocumentBytes?: number;
  logger: Logger;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Apollo's clients recognise this exact message (and the code) and retry with the query. */
const NOT_FOUND_MESSAGE = 'PersistedQueryNotFound';

function persistedQueryOf(extensions: unknown): { hash: string } | null {
  const value = (extensions as { persistedQuery?: unknown } | null | undefined)?.persistedQuery;
  if (value === undefined || value === null) return null;
  const { version, sha256Hash } = value as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1 || typeof sha256Hash !== 'string' || !SHA256_HEX.test(sha256Hash.toLowerCase())) {
    throw gatewayError(
      'BAD_REQUEST',
      'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<sha256 of the query, 64 hex digits>"}.',
      undefined,
      { http: true },
    );
  }
  return { hash: sha256Hash.toLowerCase() };
}

export function usePersistedOperations({
  mode = 'automatic',
  operations,
  store,
  ttlSeconds = 86_400,
  maxDocumentBytes = 32_768,
  logger,
}: PersistedOperationsPluginOptions): Plugin {
  if (mode !== 'automatic' && mode !== 'required') {
    throw new Error(`usePersistedOperations: mode must be automatic or required (got ${String(mode)})`);
  }
  // By manifest id (sha256 of the printed body) and by sha256 of the file as written: both run the body.
  const listed = new Map<string, ClientOperation>();
  for (const operation of operations) {
    listed.set(operation.id, operation);
    listed.set(sha256Hex(operation.source), operation);
  }
  /** Documents to register once they have passed validation and query protection. */
  const pending = requestSlot<object, { hash: string; document: string }>('persistedOperation');

  const notListed = () =>
    gatewayError(
      'PERSISTED_QUERY_NOT_FOUND',
      'Only persisted operations run here (PERSISTED_OPERATIONS=required): send the sha256 of an operation from the manifest in extensions.persistedQuery.',
      undefined,
      { http: true },
    );

  const notFound = () =>
    gatewayError('PERSISTED_QUERY_NOT_FOUND', NOT_FOUND_MESSAGE, undefined, { http: true });

  // Synchronous unless the store is asked: requests without a hash pay no promise.
  return {
    onParams({ params, setParams, context }) {
      const persisted = persistedQueryOf(params.extensions);
      const query = typeof params.query === 'string' && params.query !== '' ? params.query : undefined;
      if (!persisted) {
        if (mode === 'required' && !(query && listed.has(sha256Hex(query)))) throw notListed();
        return;
      }
      const { hash } = persisted;
      if (query) {
        if (sha256Hex(query) !== hash) {
          throw gatewayError(
            'BAD_REQUEST',
            'provided sha does not match query: sha256Hash must be the sha256 (hex) of the query text sent.',
            undefined,
            { http: true },
          );
        }
        if (listed.has(hash)) return;
        if (mode === 'required') throw notListed();
        if (Buffer.byteLength(query) <= maxDocumentBytes) pending.set(context, { hash, document: query });
        return;
      }
      const operation = listed.get(hash);
      if (operation) {
        setParams({ ...params, query: operation.body });
        return;
      }
      if (mode === 'required') throw notFound();
      return store.get(hash).then(
        (document) => {
          if (document === null) throw notFound();
          setParams({ ...params, query: document });
        },
        (err: unknown) => {
          // The client sends the full query next: slower, not broken.
          logger.warn({ err: { message: (err as Error).message } }, 'persisted operation store unreachable');
          throw notFound();
        },
      );
    },
    ...onEveryOperation(({ args }) => {
      const registration = pending.get(args.contextValue);
      if (!registration) return;
      pending.delete(args.contextValue);
      return store.set(registration.hash, registration.document, ttlSeconds).catch((err: unknown) => {
        logger.warn({ err: { message: (err as Error).message } }, 'persisted operation not registered');
      });
    }),
  };
}
