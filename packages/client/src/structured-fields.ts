/**
 * The slice of RFC 8941 structured fields a signature needs: an inner list of component names
 * with parameters (integers and strings), serialised exactly as the gateway re-serialises it.
 */

/** A bare item the signature parameters use. */
export type ParamValue = string | number;

function serializeString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError(`not a structured-field string: ${value}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function serializeItem(value: ParamValue): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) > 999_999_999_999_999)
      throw new TypeError(`not a structured-field integer: ${value}`);
    return String(value);
  }
  return serializeString(value);
}

/** `("@method" "@path");created=1;keyid="k"` for components and ordered parameters. */
export function serializeInnerList(
  items: readonly string[],
  params: readonly (readonly [string, ParamValue])[],
): string {
  const list = `(${items.map(serializeString).join(' ')})`;
  return list + params.map(([key, value]) => `;${key}=${serializeItem(value)}`).join('');
}
