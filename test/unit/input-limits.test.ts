import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { inputShapeProblem, useInputLimits } from '../../src/plugins/use-input-limits.js';

/** `n` lists nested in one another, as JSON text: `[[[]]]` for 3. */
const nestedLists = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
/** `n` objects nested in one another, as JSON text: `{"a":{"a":{}}}` for 3. */
const nestedObjects = (n: number) => `${'{"a":'.repeat(n - 1)}{}${'}'.repeat(n - 1)}`;

const schema = createSchema({
  typeDefs: 'type Query { echo(value: String): String }',
  resolvers: { Query: { echo: (_: unknown, { value }: { value?: string }) => value ?? null } },
});

function gateway(options: Parameters<typeof useInputLimits>[0] = {}) {
  return createYoga({ schema, plugins: [useInputLimits(options)], logging: false });
}

const QUERY = 'query Echo($value: String) { echo(value: $value) }';

async function post(yoga: ReturnType<typeof gateway>, body: string) {
  const response = await yoga.fetch('http://gateway/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    },
  };
}

describe('inputShapeProblem', () => {
  it('measures depth with the outer object as 1', () => {
    expect(inputShapeProblem({ input: { ids: ['a'] } }, 3, 100)).toBeNull();
    expect(inputShapeProblem({ input: { ids: [['a']] } }, 3, 100)).toBe('depth');
    expect(inputShapeProblem(JSON.parse(nestedLists(32)), 32, 100)).toBeNull();
    expect(inputShapeProblem(JSON.parse(nestedLists(33)), 32, 100)).toBe('depth');
    expect(inputShapeProblem(JSON.parse(nestedObjects(33)), 32, 100)).toBe('depth');
    expect(inputShapeProblem('a string', 1, 1)).toBeNull();
    expect(inputShapeProblem(null, 1, 1)).toBeNull();
    expect(inputShapeProblem(undefined, 1, 1)).toBeNull();
  });

  it('walks 100 000 nested lists without a stack overflow', () => {
    const deep = JSON.parse(nestedLists(100_000));
    expect(() => JSON.stringify(deep)).toThrow(RangeError); // what a recursive walk does
    expect(inputShapeProblem(deep, 32, 10_000)).toBe('depth');
    expect(inputShapeProblem(deep, 200_000, 1_000_000)).toBeNull();
  });

  it('counts every value, at any depth, and stops at the bound', () => {
    expect(inputShapeProblem({ ids: Array.from({ length: 498 }, String) }, 32, 500)).toBeNull();
    expect(inputShapeProblem({ ids: Array.from({ length: 499 }, String) }, 32, 500)).toBe('values');
    expect(inputShapeProblem({ a: [1, 2], b: { c: [3] } }, 32, 7)).toBeNull();
    expect(inputShapeProblem({ a: [1, 2], b: { c: [3] } }, 32, 6)).toBe('values');
    // A wide list is refused before its elements are walked.
    expect(inputShapeProblem([new Array(1_000_000).fill([])], 32, 10_000)).toBe('values');
  });
});

describe('useInputLimits', () => {
  it('answers 400 BAD_USER_INPUT naming variables nested past 32 levels, and runs nothing', async () => {
    const yoga = gateway();
    const ok = await post(yoga, `{"query":"${QUERY}","variables":{"value":"x","deep":${nestedLists(31)}}}`);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ echo: 'x' });

    for (const deep of [nestedLists(32), nestedObjects(32), nestedLists(100_000)]) {
      const refused = await post(yoga, `{"query":"${QUERY}","variables":{"value":"x","deep":${deep}}}`);
      expect(refused.status).toBe(400);
      expect(refused.body.data).toBeUndefined();
      expect(refused.body.errors).toEqual([
        {
          message: 'variables are nested more than 32 levels deep.',
          extensions: { code: 'BAD_USER_INPUT', argument: 'variables' },
        },
      ]);
    }
  });

  it('refuses deep extensions the same way', async () => {
    const refused = await post(gateway(), `{"query":"${QUERY}","extensions":{"x":${nestedLists(40)}}}`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'extensions' });
  });

  it('refuses variables with more values than the bound', async () => {
    const yoga = gateway({ maxValues: 100 });
    const many = JSON.stringify({ query: QUERY, variables: { ids: Array.from({ length: 100 }, String) } });
    const refused = await post(yoga, many);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.message).toBe('variables hold more than 100 values.');
  });

  it('checks the variables of a GET request, parsed from the query string', async () => {
    const yoga = gateway({ maxDepth: 4 });
    const url = (variables: string) =>
      `http://gateway/graphql?query=${encodeURIComponent(QUERY)}&variables=${encodeURIComponent(variables)}`;
    const ok = await yoga.fetch(url(`{"value":"x","deep":${nestedLists(3)}}`));
    expect(ok.status).toBe(200);
    const refused = await yoga.fetch(url(`{"value":"x","deep":${nestedLists(4)}}`));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: { extensions: unknown }[] }).errors[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      argument: 'variables',
    });
  });

  it('answers 400 BAD_REQUEST, not 500, to GET and form variables that are not JSON', async () => {
    const yoga = gateway();
    const get = await yoga.fetch(
      `http://gateway/graphql?query=${encodeURIComponent(QUERY)}&variables=%7Bbad`,
    );
    const form = await yoga.fetch('http://gateway/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent(QUERY)}&extensions=nope`,
    });
    for (const response of [get, form]) {
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        errors: [
          {
            message: 'The variables or extensions parameter is not valid JSON.',
            extensions: { code: 'BAD_REQUEST' },
          },
        ],
      });
    }
  });

  it('refuses options that are not positive integers, at boot', () => {
    expect(() => useInputLimits({ maxDepth: 0 })).toThrow(/maxDepth must be a positive integer \(got 0\)/);
    expect(() => useInputLimits({ maxValues: 1.5 })).toThrow(/maxValues/);
  });
});
