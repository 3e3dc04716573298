/**
 * One way for every source to read its upstream through DataLoader: one loader per request (the
 * gateway builds loaders fresh for each, so batches never mix requests), one upstream call per tick
 * and chunk of at most the upstream's batch size, answers matched to keys (a key the upstream does
 * not know is null), failures logged and mapped to client errors once (call.ts). A failed batch call
 * rejects each of its keys with the same client error; per-key calls fail alone. A failure is kept
 * for the request like an answer: the upstream's retries and breaker have decided, and a later load
 * of the key in the same request does not call again.
 */
import DataLoader from 'dataloader';
import type { UpstreamCallOptions, UpstreamCalls } from './call.js';

/** A batch endpoint: one call for many keys, answering the values it knows, in any order. */
export interface BatchRead<K extends string, V> {
  /** DataLoader's name, for debugging (`portfolio.accounts`). */
  readonly name?: string;
  readonly batch: (keys: readonly K[], options: UpstreamCallOptions) => Promise<readonly V[]>;
  /** The key a value answers. */
  readonly keyOf: (value: V) => K;
  /**
   * Most keys one call takes (the upstream's contract): a larger tick goes out as parallel calls
   * of at most this many, each failing alone. @default unbounded
   */
  readonly maxBatchSize?: number;
  /** Sees each key's value as it loads, null when unknown: to prime other loaders of the request. */
  readonly onLoad?: (key: K, value: V | null) => void;
}

/** No batch endpoint: one call per distinct key of a tick, each failing alone. */
export interface KeyedRead<K, V, C> {
  /** DataLoader's name, for debugging (`portfolio.accountsByUser`). */
  readonly name?: string;
  readonly each: (key: K, options: UpstreamCallOptions) => Promise<V>;
  /** Key of the per-request cache, for keys that are not strings. @default the key itself */
  readonly cacheKeyFn?: (key: K) => C;
  /** Sees each key's value as it loads: to prime other loaders of the request. */
  readonly onLoad?: (key: K, value: V) => void;
}

/** A request's loader over a batch endpoint; values the upstream does not answer are null. */
export function createBatchLoader<K extends string, V>(
  calls: UpstreamCalls,
  read: BatchRead<K, V>,
): SettledLoader<K, V | null>;
/** A request's loader over an endpoint that takes one key per call. */
export function createBatchLoader<K, V, C = K>(
  calls: UpstreamCalls,
  read: KeyedRead<K, V, C>,
): DataLoader<K, V, C>;
export function createBatchLoader(
  calls: UpstreamCalls,
  read: BatchRead<string, unknown> | KeyedRead<unknown, unknown, unknown>,
): DataLoader<unknown, unknown, unknown> | SettledLoader<string, unknown> {
  return 'each' in read ? keyedLoader(calls, read) : batchLoader(calls, read);
}

/** What `settled` answers for a key whose batch has not answered (or that was never loaded). */
export const PENDING: unique symbol = Symbol('pending');

/**
 * A batch loader that also tells, without a promise, what its batches have answered: a field whose
 * value has already arrived (another field's load, a reference's prefetch) resolves synchronously
 * instead of through a promise per field. `clear` and `clearAll` forget it with the cache, and a
 * batch that went out before them records nothing: `settled` never answers what was fetched before
 * the last clear. A primed value is not recorded (its `load` answers it).
 */
export class SettledLoader<K extends string, V> extends DataLoader<K, V> {
  readonly #answered = new Map<K, V | Error>();
  #generation = 0;

  constructor(
    batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
    options: DataLoader.Options<K, V>,
  ) {
    // The batch function is made before `this` exists (it is super's argument) and runs after.
    // biome-ignore lint/complexity/noUselessThisAlias: `this` cannot be read in super's arguments
    let self: SettledLoader<K, V> | undefined;
    super(async (keys) => {
      const generation = self!.#generation;
      const values = await batch(keys);
      if (generation === self!.#generation) {
        const answered = self!.#answered;
        for (let i = 0; i < keys.length; i++) answered.set(keys[i]!, values[i]!);
      }
      return values;
    }, options);
    self = this;
  }

  /** The key's answered value (an Error for a failure), or PENDING: then `load` it. */
  settled(key: K): V | Error | typeof PENDING {
    return this.#answered.has(key) ? (this.#answered.get(key) as V | Error) : PENDING;
  }

  /**
   * What a resolver returns for `key`: its value when it has arrived (its failure thrown), else the
   * promise `load` gives. The same answer as `load`, without a promise when none is needed.
   */
  loadSettled(key: K): V | Promise<V> {
    const settled = this.settled(key);
    if (settled === PENDING) return this.load(key);
    if (settled instanceof Error) throw settled;
    return settled;
  }

  override clear(key: K): this {
    this.#generation++;
    this.#answered.delete(key);
    return super.clear(key);
  }

  override clearAll(): this {
    this.#generation++;
    this.#answered.clear();
    return super.clearAll();
  }
}

function batchLoader<K extends string, V>(
  calls: UpstreamCalls,
  read: BatchRead<K, V>,
): SettledLoader<K, V | null> {
  const { batch, keyOf, onLoad } = read;
  return new SettledLoader<K, V | null>(
    async (keys) => {
      let found: readonly V[];
      try {
        found = await calls.run((options) => batch(keys, options));
      } catch (err) {
        // Per key, not a rejected batch: DataLoader would forget the keys of a rejected batch, and
        // the next field of the request asking for one would call the failing upstream again.
        const failure = asError(err);
        return keys.map(() => failure);
      }
      const byKey = new Map(found.map((value) => [keyOf(value), value] as const));
      return keys.map((key) => {
        const value = byKey.get(key) ?? null;
        onLoad?.(key, value);
        return value;
      });
    },
    { name: read.name, maxBatchSize: read.maxBatchSize },
  );
}

function keyedLoader<K, V, C>(calls: UpstreamCalls, read: KeyedRead<K, V, C>): DataLoader<K, V, C> {
  const { each, onLoad } = read;
  return new DataLoader<K, V, C>(
    (keys) =>
      Promise.all(
        keys.map((key) =>
          each(key, calls.options).then(
            (value) => {
              onLoad?.(key, value);
              return value;
            },
            (err: unknown) => asError(calls.failure(err)),
          ),
        ),
      ),
    { name: read.name, cacheKeyFn: read.cacheKeyFn },
  );
}

/**
 * Calls `fetch` for `keys` in parallel chunks of at most `size` (an upstream's batch limit) and
 * joins the answers in chunk order. No keys, no call.
 */
export async function inChunks<K, V>(
  keys: readonly K[],
  size: number,
  fetch: (chunk: readonly K[]) => Promise<V[]>,
): Promise<V[]> {
  if (keys.length <= size) return keys.length === 0 ? [] : fetch(keys);
  const chunks: Promise<V[]>[] = [];
  for (let i = 0; i < keys.length; i += size) chunks.push(fetch(keys.slice(i, i + size)));
  return (await Promise.all(chunks)).flat();
}

/** DataLoader takes an Error as a key's failure; a mapped failure is one, unless a bug threw something else. */
function asError(failure: unknown): Error {
  return failure instanceof Error ? failure : new Error(String(failure));
}
