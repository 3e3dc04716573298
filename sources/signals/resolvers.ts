/** Resolvers of the signals subschema (schema.graphql): `Token.signal`. */
import type { Resolvers } from './generated/resolver-types.js';
import type { SignalsLoaders } from './loaders.js';

/** What the signals resolvers read of the request context. */
export interface SignalsContext {
  readonly signals: SignalsLoaders;
}

/**
 * The signals resolvers. `Signal` fields and the `SignalRating` values come straight from the
 * upstream record (the enum values are identical), so only the join needs a resolver.
 */
export const signalsResolvers = {
  Token: {
    signal: (parent, _args, context) => context.signals.signals.load(parent.id),
  },
} satisfies Resolvers;
