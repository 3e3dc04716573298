/** The scopes Switchyard grants, and what a key gets when nobody says otherwise. */

export const KNOWN_SCOPES = [
  'market:read',
  'portfolio:read',
  'trade:write',
  'exchanges:write',
  'keys:self',
  'keys:admin',
  'schema:introspect',
] as const;

export type Scope = (typeof KNOWN_SCOPES)[number];

/** Least privilege: a new key reads, it does not trade or administer. */
export const DEFAULT_KEY_SCOPES: readonly Scope[] = ['market:read', 'portfolio:read'];

export function isKnownScope(value: string): value is Scope {
  return (KNOWN_SCOPES as readonly string[]).includes(value);
}

/** OR of ANDs, as `@requiresScopes(scopes: [[...]])` declares it. */
export function satisfiesScopes(
  granted: ReadonlySet<string>,
  required: readonly (readonly string[])[],
): boolean {
  return required.some((all) => all.every((scope) => granted.has(scope)));
}
