/** Gives every request an id — the client's `X-Request-Id` when it is sane — and echoes it on the response. */
import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { requestSlot } from '../gateway/request-slot.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Printable, short ids only: anything else could forge log lines or bloat them. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const requestIds = requestSlot<Request, string>('requestId');

/** The id of a request (assigned on first use, so it is stable for the whole request). */
export function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (id === undefined) {
    const offered = request.headers.get(REQUEST_ID_HEADER);
    id = offered !== null && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

/** Sets `X-Request-Id` on every response, GraphQL or not. */
export function useRequestId(): Plugin {
  return {
    onResponse({ request, response }) {
      response.headers.set(REQUEST_ID_HEADER, requestIdOf(request));
    },
  };
}
