/** An account's order events, resumed from the last cursor across reconnects: nothing lost, nothing repeated. */
import type { SwitchyardClient } from './client.js';
import { OrderUpdatesDocument, type OrderUpdatesSubscription } from './generated/graphql.js';
import type { GraphQLErrorShape } from './result.js';
import type { Subscription } from './subscribe.js';

export interface OrderUpdateHandlers {
  /** One order event, in order. */
  onUpdate(update: OrderUpdatesSubscription['orderUpdates']): void;
  onError?(errors: GraphQLErrorShape[]): void;
  onReconnect?(reason: string, attempt: number): void;
  onComplete?(): void;
}

/** Subscribes to `orderUpdates(accountId, after)`; `after` is the last cursor a previous run received. */
export function orderUpdates(
  client: SwitchyardClient,
  accountId: string,
  handlers: OrderUpdateHandlers,
  options: {
    after?: string | undefined;
    signal?: AbortSignal | undefined;
    maxReconnects?: number | undefined;
  } = {},
): Subscription {
  return client.subscribe(
    OrderUpdatesDocument,
    { accountId, after: options.after ?? null },
    {
      onNext(payload) {
        if (payload.data) handlers.onUpdate(payload.data.orderUpdates);
      },
      ...(handlers.onError ? { onError: handlers.onError } : {}),
      ...(handlers.onReconnect ? { onReconnect: handlers.onReconnect } : {}),
      ...(handlers.onComplete ? { onComplete: handlers.onComplete } : {}),
    },
    {
      resume: { variable: 'after', cursor: (data) => data.orderUpdates.cursor },
      signal: options.signal,
      maxReconnects: options.maxReconnects,
    },
  );
}
