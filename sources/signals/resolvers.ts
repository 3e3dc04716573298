/** Resolvers of the signals subschema (schema.graphql): `Token.signal`. */
import type { IResolvers } from '@graphql-tools/utils';
import type { SignalsLoaders } from './loaders.js';
import type { Signal } from './types.js';

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
    signal: (
      parent: { readonly id: string },
      _args: unknown,
      context: SignalsContext,
    ): Promise<Signal | null> => context.signals.signals.load(parent.id),
  },
} satisfies IResolvers;
