/** Resolvers of the signals subschema (schema.graphql): `Token.signal`. */
import type { EntityReference, SourceReferences } from '../../src/gateway/references.js';
import type { LatestValueFeed } from '../../src/streams/latest-value-feed.js';
import { assertTokenIds } from '../../src/validation.js';
import type { Resolvers } from './generated/resolver-types.js';
import type { SignalsLoaders } from './loaders.js';
import { MAX_STREAM_IDS, type SignalTick } from './types.js';

/** What the signals resolvers read of the request context. */
export interface SignalsContext {
  readonly signals: SignalsLoaders & {
    /** The instance's live signals (one upstream stream per token, shared by every subscriber). */
    readonly changes: LatestValueFeed<SignalTick>;
  };
}

/**
 * `Token.signal` of a token another source returns, or that `token(id)` / `tokens(ids)` name, starts
 * loading beside market's call instead of after it (src/gateway/references.ts).
 */
export const signalsReferences = {
  Token: {
    fields: ['signal'],
    // Its failure is the field's to report: the loader keeps it for the field.
    prefetch: (reference: EntityReference, context: SignalsContext): Promise<unknown> =>
      context.signals.signals.load(reference.id).catch(() => undefined),
  },
} satisfies SourceReferences;

/**
 * The signals resolvers. `Signal` fields and the `SignalRating` values come straight from the
 * upstream record (the enum values are identical), so only the join needs a resolver.
 */
export const signalsResolvers = {
  Subscription: {
    signalUpdates: {
      // An id the signals service does not know ends the subscription with BAD_USER_INPUT when the
      // service refuses its stream.
      subscribe: (_root, { tokenIds }, context) =>
        context.signals.changes.subscribe(assertTokenIds(tokenIds, MAX_STREAM_IDS)),
      resolve: (tick: SignalTick) => tick,
    },
  },
  Token: {
    // Prefetched beside market's call (signalsReferences), it has usually arrived: no promise then.
    signal: (parent, _args, context) => context.signals.signals.loadSettled(parent.id),
  },
} satisfies Resolvers;
