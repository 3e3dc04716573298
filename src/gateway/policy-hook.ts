/**
 * A policy that reads the operation runs for every operation type. Queries and mutations reach
 * plugins through `onExecute`, subscriptions through `onSubscribe` only: a check installed on one
 * hook alone is a check that a subscription skips. Policy plugins declare their check once, here.
 */
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** What a policy reads of `onExecute` and `onSubscribe` alike. */
export interface PolicyHookPayload<TContext> {
  readonly args: {
    readonly document: DocumentNode;
    readonly operationName?: string | null | undefined;
    readonly variableValues?: Readonly<Record<string, unknown>> | null | undefined;
    readonly contextValue: TContext;
  };
  /** Refuses the operation with this result; nothing of it runs. */
  setResultAndStopExecution(result: ExecutionResult): void;
}

/** `onExecute` and `onSubscribe` running the same check. */
// biome-ignore lint/suspicious/noExplicitAny: Plugin's own constraint on contexts (Record<string, any>)
export function onEveryOperation<TContext extends Record<string, any>>(
  check: (payload: PolicyHookPayload<TContext>) => void | Promise<void>,
): Pick<Plugin<TContext>, 'onExecute' | 'onSubscribe'> {
  // The check itself, not an async wrapper: a synchronous check stays synchronous (no promise per
  // request per hook on the hot path). The payloads differ only in what a policy does not read.
  const hook = check as unknown as NonNullable<Plugin<TContext>['onExecute']> &
    NonNullable<Plugin<TContext>['onSubscribe']>;
  return { onExecute: hook, onSubscribe: hook };
}
