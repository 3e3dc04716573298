/**
 * Signed, replay-proof mutations (RFC 9421): every mutation, and every operation selecting a field
 * marked `@signed`, must carry a fresh signature over the method, authority, path, query, content
 * type and Content-Digest of the body, by a signing key of the principal's own client whose scopes
 * cover the operation, with a nonce used once per key across every instance. It runs before
 * execution, so a refused request never reaches an upstream. Queries pay one cached lookup.
 */

import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { PrincipalContext } from '../auth/principal.js';
import { satisfiesScopes } from '../auth/scopes.js';
import { gatewayError } from '../errors.js';
import type {
  OperationAnalysis,
  OperationAnalyzer,
  ScopeRequirement,
} from '../gateway/operation-analysis.js';
import { onEveryOperation } from '../gateway/policy-hook.js';
import { requestSlot } from '../gateway/request-slot.js';
import type { KeyService } from '../keys/service.js';
import { verifyContentDigest } from '../signing/digest.js';
import { type SignatureCode, SignatureError, toSignatureGraphQLError } from '../signing/errors.js';
import type { NonceStore } from '../signing/nonce-store.js';
import { signedMessageOf } from '../signing/request.js';
import { verifyMessageSignature } from '../signing/verify.js';
import { markClientAborted } from '../telemetry/request-telemetry.js';

/** What the plugin reads of the request context: the caller, and the request's logger. */
export interface SignedMutationsContext extends PrincipalContext {
  readonly log: Logger;
}

export interface SignedMutationsPluginOptions {
  /** The shared operation analysis: which operations need a signature, what they touch. */
  analyzer: OperationAnalyzer;
  keys: KeyService;
  nonces: NonceStore;
  /** SIGNATURE_MAX_AGE_SECONDS: oldest acceptable `created`. @default 30 */
  maxAgeSeconds?: number;
  /** How far in the future `created` may be (client clock ahead). @default 5 */
  futureSkewSeconds?: number;
  /** TRUST_PROXY hops, to rebuild authority and scheme as the client addressed them. @default 0 */
  trustedProxyHops?: number;
  /** Told about every refusal, with the caller's client when known (metrics). */
  onRefused?: (code: SignatureCode, clientId: string | undefined) => void;
  now?: () => number;
}

const JSON_TYPE = /^application\/(?:graphql-response\+)?json\b/i;

export function useSignedMutations({
  analyzer,
  keys,
  nonces,
  maxAgeSeconds = 30,
  futureSkewSeconds = 5,
  trustedProxyHops = 0,
  onRefused,
  now = Date.now,
}: SignedMutationsPluginOptions): Plugin<SignedMutationsContext> {
  const rawBodies = requestSlot<Request, Buffer>('rawBody');
  const nonceTtl = maxAgeSeconds + futureSkewSeconds + 1;

  /**
   * The scopes the signing key must hold: those of every field the operation resolves (root fields
   * included), however the document spells them (aliases, fragments, directives).
   */
  const requiredOfSigner = new WeakMap<
    OperationAnalysis,
    { coordinate: string; required: ScopeRequirement }[]
  >();
  function signerRequirements(analysis: OperationAnalysis) {
    let found = requiredOfSigner.get(analysis);
    if (!found) {
      const seen = new Set<ScopeRequirement>();
      found = [];
      for (const occurrence of analysis.occurrences) {
        const required = analyzer.scopes.get(occurrence.coordinate);
        if (!required || seen.has(required)) continue;
        seen.add(required);
        found.push({ coordinate: occurrence.coordinate, required });
      }
      requiredOfSigner.set(analysis, found);
    }
    return found;
  }

  async function check(context: SignedMutationsContext, analysis: OperationAnalysis): Promise<void> {
    const { request, principal } = context as SignedMutationsContext & { request: Request };
    if (!principal)
      throw gatewayError(
        'UNAUTHENTICATED',
        'Signed operations need an identity (X-API-Key or Authorization: Bearer).',
        undefined,
        { http: true },
      );
    const body = rawBodies.get(request);
    if (!body)
      throw new SignatureError(
        'SIGNATURE_INVALID',
        'Signed operations are POSTed with a JSON body (application/json).',
      );
    const message = signedMessageOf(request, trustedProxyHops);
    if (message.header('signature-input') === null || message.header('signature') === null) {
      throw new SignatureError(
        'SIGNATURE_REQUIRED',
        'This operation needs an HTTP message signature (RFC 9421): send Signature-Input and Signature.',
      );
    }
    const components = ['@method', '@authority', '@path', 'content-digest'];
    if (body.length > 0) components.push('content-type');
    if (message.query) components.push('@query');
    // The digest first: a body changed after signing is named as such, before any crypto runs.
    verifyContentDigest(message.header('content-digest'), body);
    const requirements = signerRequirements(analysis);
    const signature = await verifyMessageSignature(
      message,
      async (keyId) => {
        let found: Awaited<ReturnType<KeyService['verificationKey']>>;
        try {
          found = await keys.verificationKey(keyId);
        } catch {
          throw new SignatureError(
            'SERVICE_UNAVAILABLE',
            'Signing keys cannot be verified right now; retry shortly.',
          );
        }
        if (!found)
          throw new SignatureError(
            'SIGNATURE_INVALID',
            `keyid "${keyId}" is not an active key with a signing credential.`,
          );
        if (found.record.clientId !== principal.clientId) {
          throw new SignatureError(
            'SIGNATURE_INVALID',
            `keyid "${keyId}" belongs to another client than the caller.`,
          );
        }
        const granted = new Set(found.record.scopes);
        for (const { coordinate, required } of requirements) {
          if (!satisfiesScopes(granted, required)) {
            throw new SignatureError(
              'SIGNATURE_INVALID',
              `The signing key lacks the scopes ${coordinate} needs (${required.map((all) => all.join(' ')).join(' or ')}).`,
            );
          }
        }
        return found.key;
      },
      { components, maxAgeSeconds, futureSkewSeconds },
      now(),
    );
    let fresh: boolean;
    try {
      fresh = await nonces.claim(signature.keyId, signature.nonce!, nonceTtl);
    } catch (err) {
      context.log.error({ err }, 'nonce store unreachable: refusing signed operations');
      throw new SignatureError(
        'SERVICE_UNAVAILABLE',
        'Replay protection is unavailable right now; retry shortly. Nothing was executed.',
      );
    }
    if (!fresh)
      throw new SignatureError(
        'REPLAYED_REQUEST',
        'This nonce was already used with this key: sign every request with a new nonce.',
      );
  }

  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST' || !JSON_TYPE.test(request.headers.get('content-type') ?? '')) return;
      setRequestParser(async (req) => {
        let raw: Buffer;
        try {
          raw = Buffer.from(await req.arrayBuffer());
        } catch (err) {
          if (!req.signal.aborted && (err as { code?: unknown }).code !== 'ECONNRESET') throw err;
          // The client went away mid-body: its business, not a gateway error. Recorded as a client
          // abort (499); answered with a catalogue error that nobody reads, so nothing logs a stack.
          markClientAborted(req);
          throw gatewayError(
            'BAD_REQUEST',
            'The client closed the connection before the request body arrived.',
          );
        }
        rawBodies.set(req, raw);
        let params: unknown;
        try {
          params = JSON.parse(raw.toString('utf8'));
        } catch {
          throw gatewayError('BAD_REQUEST', 'POST body sent invalid JSON.');
        }
        if (params === null || typeof params !== 'object') {
          throw gatewayError('BAD_REQUEST', 'POST body is expected to be a JSON object or array.');
        }
        return params as Record<string, unknown>;
      });
    },
    ...onEveryOperation(async ({ args, setResultAndStopExecution }) => {
      const analysis = analyzer.analyze(args.document, args.operationName, args.variableValues);
      if (!analysis || (analysis.kind !== 'mutation' && !analysis.selectsSignedField)) return;
      try {
        await check(args.contextValue, analysis);
      } catch (err) {
        if (err instanceof SignatureError) {
          onRefused?.(err.code, args.contextValue.principal?.clientId);
          args.contextValue.log.info({ code: err.code, reason: err.message }, 'signature refused');
          setResultAndStopExecution({ errors: [toSignatureGraphQLError(err)] });
          return;
        }
        if (err instanceof GraphQLError) {
          setResultAndStopExecution({ errors: [err] });
          return;
        }
        throw err;
      }
    }),
  };
}
