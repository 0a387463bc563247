// Python `json.dumps` (as nova's jsonutils.dumps calls it) written from JS values, so that text we insert
// into a stored spec looks exactly like text nova would have written there.
//
// Python's defaults: separators ", " and ": ", ensure_ascii=True (every code unit outside 0x20..0x7e
// escaped, DEL 0x7f included, lower-case hex, astral characters as surrogate pairs), allow_nan=True,
// floats via repr() (shortest round-trip digits, "1.0", "1e+16", "1e-07").
import { isLosslessNumber, type LosslessNumber } from 'lossless-json';

/** What pyDumps accepts. JS numbers that are integral are written as Python ints, others as Python floats;
 *  a LosslessNumber (from lossless-json) is written verbatim, which keeps `1.0` a float. */
export type PyJsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | LosslessNumber
  | readonly PyJsonValue[]
  | { readonly [key: string]: PyJsonValue };

const NON_PRINTABLE_ASCII = /[\u007f-\uffff]/g;

/** A JSON string literal exactly as Python's json.dumps(s) (ensure_ascii=True) writes it. */
export function pyDumpsString(s: string): string {
  // JSON.stringify already escapes " \ and C0 controls the way Python does (\b \f \n \r \t, others \u00XX
  // lower-case) and writes lone surrogates as \udXXX; what remains is everything from DEL upwards.
  return JSON.stringify(s).replace(NON_PRINTABLE_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python's repr(float) for a JS number (which is an IEEE double, like Python's float). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() with no argument gives the shortest digits that round-trip, the same digits repr() uses.
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential());
  if (!m) throw new Error(`cannot format ${x} as a Python float`);
  const digits = m[1]! + (m[2] ?? '');
  const exponent = Number(m[3]);
  const decpt = exponent + 1; // digits are 0.d1d2… × 10^decpt
  if (decpt > 16 || decpt < -3) {
    // Python's 'r' format switches to exponent notation here, with at least two exponent digits.
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${mantissa}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

function pyNumber(x: number): string {
  if (Number.isInteger(x)) return BigInt(x).toString();
  return pyFloatRepr(x);
}

/** json.dumps(value) with Python's default options. Throws on values JSON cannot hold (undefined, functions). */
export function pyDumps(value: PyJsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return pyNumber(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return pyDumpsString(value);
    case 'object':
      break;
    default:
      throw new TypeError(`pyDumps: cannot serialise a ${typeof value}`);
  }
  if (isLosslessNumber(value)) return value.value;
  if (Array.isArray(value)) return `[${value.map((v: PyJsonValue) => pyDumps(v)).join(', ')}]`;
  const entries = Object.entries(value as { readonly [key: string]: PyJsonValue });
  return `{${entries.map(([k, v]) => `${pyDumpsString(k)}: ${pyDumps(v)}`).join(', ')}}`;
}
