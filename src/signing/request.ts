/** What the verifier sees of an HTTP request, with authority and scheme reconstructed behind trusted proxies. */
import type { SignedMessage } from './message.js';

/**
 * The request as the client addressed it. Behind `trustedHops` proxies (TRUST_PROXY), the
 * authority and scheme come from X-Forwarded-Host / X-Forwarded-Proto (the entry that many hops
 * from the right, like the client IP); otherwise from the Host header and the socket.
 */
export function signedMessageOf(request: Request, trustedHops: number): SignedMessage {
  const url = new URL(request.url);
  const forwarded = (name: string) => {
    if (trustedHops <= 0) return null;
    const entries =
      request.headers
        .get(name)
        ?.split(',')
        .map((entry) => entry.trim()) ?? [];
    return entries[entries.length - trustedHops] || null;
  };
  const scheme = (forwarded('x-forwarded-proto') ?? url.protocol.slice(0, -1)) === 'https' ? 'https' : 'http';
  return {
    method: request.method,
    scheme,
    authority: forwarded('x-forwarded-host') ?? request.headers.get('host') ?? url.host,
    path: url.pathname,
    query: url.search.slice(1),
    header: (name) => request.headers.get(name),
  };
}
