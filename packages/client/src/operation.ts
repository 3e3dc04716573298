/**
 * Which kind of operation a document runs, without a GraphQL parser in the bundle: a scan of the
 * top-level definitions (comments, strings and selection sets skipped).
 */

export type OperationKind = 'query' | 'mutation' | 'subscription';

/** The kind of the named operation, or of the only/first one; null when none is found. */
export function operationKind(document: string, operationName?: string): OperationKind | null {
  let depth = 0;
  let first: OperationKind | null = null;
  let i = 0;
  const n = document.length;
  while (i < n) {
    const char = document[i]!;
    if (char === '#') {
      while (i < n && document[i] !== '\n') i++;
    } else if (char === '"') {
      const block = document.startsWith('"""', i);
      i += block ? 3 : 1;
      while (i < n && !(block ? document.startsWith('"""', i) : document[i] === '"'))
        i += document[i] === '\\' ? 2 : 1;
      i += block ? 3 : 1;
      continue;
    } else if (char === '{' || char === '(') {
      if (depth === 0 && char === '{' && first === null && operationName === undefined) first = 'query'; // shorthand
      depth++;
    } else if (char === '}' || char === ')') {
      depth--;
    } else if (depth === 0 && /[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(document.slice(i))![0];
      i += word.length;
      if (word === 'query' || word === 'mutation' || word === 'subscription') {
        const name = /^\s*([A-Za-z_][A-Za-z0-9_]*)?/.exec(document.slice(i))?.[1];
        if (operationName === undefined) {
          first ??= word;
        } else if (name === operationName) {
          return word;
        }
      }
      continue;
    }
    i++;
  }
  return operationName === undefined ? first : null;
}
