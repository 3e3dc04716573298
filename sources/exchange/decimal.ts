/**
 * Exact arithmetic on the decimal strings the exchange answers (`"0.51230000"`): amounts never pass
 * through a float. Values are unsigned, as balances and prices are.
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** `value` as an integer count of 10^-scale. */
function parse(value: string): { units: bigint; scale: number } {
  const match = DECIMAL.exec(value);
  if (!match) throw new Error(`not an unsigned decimal: ${value.slice(0, 32)}`);
  const fraction = match[2] ?? '';
  return { units: BigInt(`${match[1]}${fraction}`), scale: fraction.length };
}

function format(units: bigint, scale: number): string {
  if (scale === 0) return units.toString();
  const digits = units.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Rounds half up to `places` decimals. */
function round(units: bigint, scale: number, places: number): string {
  if (scale <= places) return format(units * 10n ** BigInt(places - scale), places);
  const divisor = 10n ** BigInt(scale - places);
  return format((units + divisor / 2n) / divisor, places);
}

/** a + b, exact. */
export function sumDecimals(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const units = x.units * 10n ** BigInt(scale - x.scale) + y.units * 10n ** BigInt(scale - y.scale);
  return format(units, scale);
}

/** a × b, rounded half up to `places` decimals (8: the exchange's precision). */
export function multiplyDecimals(a: string, b: string, places = 8): string {
  const x = parse(a);
  const y = parse(b);
  return round(x.units * y.units, x.scale + y.scale, places);
}
