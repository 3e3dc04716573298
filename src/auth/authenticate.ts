/**
 * Turns a request's credentials into a principal: `X-API-Key` (Switchyard keys) or
 * `Authorization: Bearer` (JWT). No credential: an anonymous request (public fields only).
 * A credential that does not verify refuses the whole request with 401 and `WWW-Authenticate`.
 */
import type { GraphQLError } from 'graphql';
import { gatewayError } from '../errors.js';
import type { KeyService } from '../keys/service.js';
import { clientIp } from './client-ip.js';
import type { JwtVerifier } from './jwt.js';
import type { Principal } from './principal.js';

export const API_KEY_HEADER = 'x-api-key';
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

export interface AuthenticatorOptions {
  keys: KeyService;
  /** Null when no JWKS is configured: bearer tokens are then refused. */
  jwt: JwtVerifier | null;
  /** TRUST_PROXY: proxies whose X-Forwarded-For entries are trusted. */
  trustedProxyHops: number;
}

export interface Authentication {
  principal: Principal | null;
  clientIp: string;
  /** Set when the API key is in a rotation's grace window. */
  deprecation: { sunsetAt: string; replacedBy: string } | null;
}

export type Authenticator = (
  request: Request,
  socketAddress: string | undefined,
  requestId: string,
) => Promise<Authentication>;

export function createAuthenticator({ keys, jwt, trustedProxyHops }: AuthenticatorOptions): Authenticator {
  return async (request, socketAddress, requestId) => {
    const ip = clientIp(socketAddress, request.headers.get('x-forwarded-for'), trustedProxyHops);
    const apiKey = request.headers.get(API_KEY_HEADER);
    const authorization = request.headers.get('authorization');
    if (apiKey !== null && authorization !== null) {
      throw withChallenge(
        gatewayError(
          'UNAUTHENTICATED',
          'Send one credential: X-API-Key or Authorization, not both.',
          undefined,
          { http: true },
        ),
      );
    }
    if (apiKey !== null) {
      try {
        const { principal, deprecation } = await keys.authenticate(apiKey.trim(), { ip, requestId });
        return { principal, deprecation, clientIp: ip };
      } catch (err) {
        throw withChallenge(err as GraphQLError);
      }
    }
    if (authorization !== null) {
      const token = BEARER.exec(authorization)?.[1];
      if (!token)
        throw withChallenge(
          gatewayError('UNAUTHENTICATED', 'Authorization must be "Bearer <JWT>".', undefined, { http: true }),
        );
      if (!jwt)
        throw withChallenge(
          gatewayError(
            'UNAUTHENTICATED',
            'This deployment does not accept bearer tokens; use an API key.',
            undefined,
            { http: true },
          ),
        );
      try {
        return { principal: await jwt.verify(token), deprecation: null, clientIp: ip };
      } catch (err) {
        throw withChallenge(err as GraphQLError);
      }
    }
    return { principal: null, deprecation: null, clientIp: ip };
  };
}

/** Adds the RFC 9110 challenge to 401 answers (and leaves 403/503 alone). */
function withChallenge(error: GraphQLError): GraphQLError {
  const http = error.extensions?.http as { status?: number; headers?: Record<string, string> } | undefined;
  if (http?.status === 401) {
    http.headers = {
      ...http.headers,
      'WWW-Authenticate': 'Bearer realm="switchyard", ApiKey realm="switchyard" header="X-API-Key"',
    };
  }
  return error;
}
