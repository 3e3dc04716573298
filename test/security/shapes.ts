/**
 * The shapes an attacker gives a document: the same root field selected plainly, aliased, inside a
 * named fragment, an inline fragment (with or without a type condition), nested fragments, under
 * `@include(if: true)` / `@skip(if: false)` (literal or variable), and beside decoy operations in one
 * document. A policy that reads the document must give the same verdict for every shape, and count
 * every copy. `shapes` enumerates them; `arbitraryShape` composes them at random (fast-check).
 */
import fc from 'fast-check';

/** One wrapper around a selection. */
export type Wrapper =
  | 'fragment'
  | 'inline'
  | 'inline-untyped'
  | 'include-literal'
  | 'include-variable'
  | 'skip-variable'
  | 'field-include';

/** Where the operation sits in a document of several operations. */
export type Placement = 'alone' | 'first' | 'last';

export interface Shape {
  /** Wrappers from the outermost in. */
  readonly wrappers: readonly Wrapper[];
  /** How many aliased copies of the field the innermost selection holds (1: the field itself). */
  readonly copies: number;
  readonly placement: Placement;
}

/** A selection of one root field, as text, with the variables its i-th copy needs. */
export interface FieldSelection {
  readonly rootType: 'Query' | 'Mutation';
  /** The field's text for copy `i` under `alias` (undefined: no alias). */
  text(i: number, alias: string | undefined): string;
  /** Variable definitions and values of copy `i`. */
  variables(i: number): Record<string, { type: string; value: unknown }>;
}

export interface RenderedOperation {
  query: string;
  variables: Record<string, unknown>;
  operationName: string;
  /** Copies that execute (all of them: every shape here keeps its field included). */
  copies: number;
  /** A name for test titles. */
  label: string;
}

export function describeShape(shape: Shape): string {
  const parts: string[] = [...shape.wrappers];
  if (shape.copies > 1) parts.push(`${shape.copies} aliases`);
  if (shape.placement !== 'alone') parts.push(`${shape.placement} of several operations`);
  return parts.length === 0 ? 'plain' : parts.join(' > ');
}

export function render(field: FieldSelection, shape: Shape): RenderedOperation {
  const keyword = field.rootType === 'Query' ? 'query' : 'mutation';
  const definitions = new Map<string, { type: string; value: unknown }>();
  const fragments: string[] = [];
  let selection = Array.from({ length: shape.copies }, (_, i) => {
    for (const [name, definition] of Object.entries(field.variables(i))) definitions.set(name, definition);
    return field.text(i, shape.copies > 1 ? `copy${i}` : undefined);
  }).join(' ');
  // From the innermost wrapper out.
  [...shape.wrappers].reverse().forEach((wrapper, depth) => {
    switch (wrapper) {
      case 'fragment': {
        const name = `Part${depth}`;
        fragments.push(`fragment ${name} on ${field.rootType} { ${selection} }`);
        selection = `...${name}`;
        break;
      }
      case 'inline':
        selection = `... on ${field.rootType} { ${selection} }`;
        break;
      case 'inline-untyped':
        selection = `... { ${selection} }`;
        break;
      case 'include-literal':
        selection = `... @include(if: true) { ${selection} }`;
        break;
      case 'include-variable':
        definitions.set('yes', { type: 'Boolean!', value: true });
        selection = `... @include(if: $yes) { ${selection} }`;
        break;
      case 'skip-variable':
        definitions.set('no', { type: 'Boolean = true', value: false });
        selection = `... @skip(if: $no) { ${selection} }`;
        break;
      case 'field-include':
        // A directive on a fragment spread: wrap first, then condition the spread itself.
        fragments.push(`fragment Cond${depth} on ${field.rootType} { ${selection} }`);
        selection = `...Cond${depth} @include(if: true)`;
        break;
    }
  });
  const declared = [...definitions].map(([name, { type }]) => `$${name}: ${type}`).join(', ');
  const operation = `${keyword} Target${declared ? `(${declared})` : ''} { ${selection} }`;
  const decoy = `query Decoy { __typename }`;
  const parts =
    shape.placement === 'first'
      ? [operation, decoy]
      : shape.placement === 'last'
        ? [decoy, operation]
        : [operation];
  return {
    query: [...parts, ...fragments].join('\n'),
    variables: Object.fromEntries([...definitions].map(([name, { value }]) => [name, value])),
    operationName: 'Target',
    copies: shape.copies,
    label: describeShape(shape),
  };
}

const ALL_WRAPPERS: readonly Wrapper[] = [
  'fragment',
  'inline',
  'inline-untyped',
  'include-literal',
  'include-variable',
  'skip-variable',
  'field-include',
];

/** Every wrapper alone, a few nestings, aliases, and several operations: the fixed part of the suite. */
export const shapes: readonly Shape[] = [
  { wrappers: [], copies: 1, placement: 'alone' },
  { wrappers: [], copies: 3, placement: 'alone' },
  ...ALL_WRAPPERS.map((w): Shape => ({ wrappers: [w], copies: 1, placement: 'alone' })),
  { wrappers: ['fragment', 'fragment', 'fragment'], copies: 1, placement: 'alone' },
  { wrappers: ['fragment', 'inline', 'include-variable'], copies: 2, placement: 'alone' },
  { wrappers: ['inline-untyped', 'fragment'], copies: 1, placement: 'last' },
  { wrappers: [], copies: 1, placement: 'first' },
  { wrappers: ['skip-variable', 'field-include'], copies: 1, placement: 'last' },
];

/** Random compositions of every wrapper, aliases and placements. */
export const arbitraryShape = (maxCopies = 4): fc.Arbitrary<Shape> =>
  fc.record({
    wrappers: fc.array(fc.constantFrom(...ALL_WRAPPERS), { maxLength: 4 }),
    copies: fc.integer({ min: 1, max: maxCopies }),
    placement: fc.constantFrom<Placement>('alone', 'first', 'last'),
  });
