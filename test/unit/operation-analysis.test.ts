import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  createOperationAnalyzer,
  mayResolve,
  OperationTooLargeError,
} from '../../src/gateway/operation-analysis.js';
import { placeOrder, portfolio } from '../security/client.js';
import { arbitraryShape, render } from '../security/shapes.js';

const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));
const analyze = (query: string, variables: Record<string, unknown> = {}, operationName?: string) => {
  const analysis = createOperationAnalyzer(schema).analyze(parse(query), operationName, variables);
  if (!analysis) throw new Error(`no operation ${operationName ?? ''} in the document`);
  return analysis;
};

describe('operation analysis', () => {
  it('finds every copy of a root field in any shape, and nothing of the decoy operations', () => {
    fc.assert(
      fc.property(arbitraryShape(8), (shape) => {
        const operation = render(placeOrder, shape);
        const analysis = analyze(operation.query, operation.variables, operation.operationName);
        expect(analysis.kind).toBe('mutation');
        expect(analysis.rootFields).toEqual(Array(shape.copies).fill('Mutation.placeOrder'));
      }),
      { numRuns: 300 },
    );
  });

  it('carries the scopes of every guarded field on the path, in any shape', () => {
    fc.assert(
      fc.property(arbitraryShape(3), (shape) => {
        const operation = render(portfolio, shape);
        const analysis = analyze(operation.query, operation.variables, operation.operationName);
        const quantities = analysis.occurrences.filter((o) => o.coordinate === 'Position.quantity');
        expect(quantities).toHaveLength(shape.copies);
        for (const occurrence of quantities) {
          expect(mayResolve(occurrence, new Set(['market:read']))).toBe(false);
          expect(mayResolve(occurrence, null)).toBe(false);
          expect(mayResolve(occurrence, new Set(['portfolio:read']))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('honours @skip and @include with literals, variables and variable defaults', () => {
    const query = `query($a: Boolean!, $b: Boolean = true) {
      x: token(id: "a") @include(if: $a) { id }
      y: token(id: "b") @skip(if: $b) { id }
      z: token(id: "c") @include(if: false) { id }
      w: token(id: "d") @skip(if: false) { id }
    }`;
    expect(analyze(query, { a: true }).rootFields).toHaveLength(2);
    expect(analyze(query, { a: false, b: false }).rootFields).toHaveLength(2);
    expect(analyze(query, { a: true, b: false }).rootFields).toHaveLength(3);
    // Each combination is its own analysis of one cached document.
    const analyzer = createOperationAnalyzer(schema);
    const document = parse(query);
    expect(analyzer.analyze(document, undefined, { a: true })).toBe(
      analyzer.analyze(document, undefined, { a: true }),
    );
    expect(analyzer.analyze(document, undefined, { a: false })).not.toBe(
      analyzer.analyze(document, undefined, { a: true }),
    );
  });

  it('merges what execution merges: one response key selected twice is one field', () => {
    const analysis = analyze(
      '{ token(id: "a") { id } token(id: "a") { symbol } ... on Query { token(id: "a") { name } } }',
    );
    expect(analysis.rootFields).toEqual(['Query.token']);
    expect(analysis.occurrences.map((o) => o.coordinate).sort()).toEqual([
      'Query.token',
      'Token.id',
      'Token.name',
      'Token.symbol',
    ]);
  });

  it('sees introspection however it is spelled', () => {
    expect(
      analyze('{ ... on Query { ...I } } fragment I on Query { __schema { queryType { name } } }')
        .introspection,
    ).toBe(true);
    expect(analyze('{ __typename token(id: "a") { id } }').introspection).toBe(false);
    expect(analyze('{ __type(name: "Token") @skip(if: true) { name } }').introspection).toBe(false);
  });

  it('returns null for an operation the document does not have', () => {
    expect(createOperationAnalyzer(schema).analyze(parse('query A { __typename }'), 'B', {})).toBeNull();
  });

  it('refuses to walk a field tree multiplied past its bound by fragments', () => {
    const analyzer = createOperationAnalyzer(schema, { maxOccurrences: 100 });
    const aliases = Array.from({ length: 12 }, (_, i) => `t${i}: topTokens { ...Row }`).join(' ');
    const document = parse(
      `{ ${aliases} } fragment Row on Token { id symbol name chain price { usd change24h } signal { score } }`,
    );
    expect(() => analyzer.analyze(document, undefined, {})).toThrow(OperationTooLargeError);
  });
});
