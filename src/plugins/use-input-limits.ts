/**
 * Bounds the shape of a request's `variables` and `extensions` as soon as they are parsed (Yoga's
 * `onParams`, before any other plugin reads them): too deep or too many values is 400
 * BAD_USER_INPUT. Everything after walks these values recursively — GraphQL's input coercion, the
 * response cache key's JSON.stringify, loggers — and V8 overflows its stack somewhere past a few
 * thousand levels, which the body limit alone allows (a 256 KiB body nests 128 000 lists).
 * The check itself walks with an explicit stack, and stops after `maxValues` values.
 *
 * It also turns a query string's (GET) or form's `variables` or `extensions` that is not JSON into
 * 400 BAD_REQUEST: Yoga's parsers let JSON.parse's SyntaxError through, answered 500 and logged
 * with a stack. (JSON POST bodies are parsed by useSignedMutations, which answers 400 itself.)
 */
import type { Plugin } from 'graphql-yoga';
import { gatewayError } from '../errors.js';

export interface InputLimitsPluginOptions {
  /**
   * Deepest nesting of objects and lists, the `variables` (or `extensions`) object itself being 1:
   * `{ "input": { "ids": ["a"] } }` is 3 deep.
   * @default 32
   */
  maxDepth?: number;
  /**
   * Most values (objects, lists and scalars, at any depth) in `variables`, and in `extensions`.
   * @default 10000 (20 times the largest list an operation takes: 500 token ids)
   */
  maxValues?: number;
}

/** What is wrong with a value's shape, if anything. */
export type InputShapeProblem = 'depth' | 'values' | null;

export function useInputLimits({ maxDepth = 32, maxValues = 10_000 }: InputLimitsPluginOptions = {}): Plugin {
  for (const [name, value] of Object.entries({ maxDepth, maxValues })) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`useInputLimits: ${name} must be a positive integer (got ${value})`);
  }
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (requestParser === undefined) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (err) {
          if (!(err instanceof SyntaxError || err instanceof RangeError)) throw err;
          throw gatewayError(
            'BAD_REQUEST',
            'The variables or extensions parameter is not valid JSON.',
            undefined,
            { http: true },
          );
        }
      });
    },
    onParams({ params }) {
      for (const argument of ['variables', 'extensions'] as const) {
        const problem = inputShapeProblem(params[argument], maxDepth, maxValues);
        if (problem === null) continue;
        throw gatewayError(
          'BAD_USER_INPUT',
          problem === 'depth'
            ? `${argument} are nested more than ${maxDepth} levels deep.`
            : `${argument} hold more than ${maxValues} values.`,
          { argument },
          { http: true },
        );
      }
    },
  };
}

/**
 * Whether a parsed JSON value nests deeper than `maxDepth` or holds more than `maxValues` values.
 * Iterative: a value too deep for a recursive walk is exactly what it must refuse.
 */
export function inputShapeProblem(value: unknown, maxDepth: number, maxValues: number): InputShapeProblem {
  if (value === null || typeof value !== 'object') return null;
  const containers: object[] = [value];
  const depths: number[] = [1];
  let values = 1;
  while (containers.length > 0) {
    const container = containers.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) return 'depth';
    const children = Array.isArray(container) ? container : Object.values(container);
    values += children.length;
    if (values > maxValues) return 'values';
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        containers.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return null;
}
