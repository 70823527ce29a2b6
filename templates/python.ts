// Python value semantics for template data: how Jinja prints, compares, adds and tests the truth of JSON values.
// Templates are written for Prefect's Jinja, so `{{ flag }}` must print `True`, `{{ [] }}` must be false, and so on.
import { TemplateError } from './errors';
import { isSafeString } from './nunjucks-internals';

/** Returns `value` with nunjucks SafeStrings (macro output) turned into plain strings. */
export function unwrap(value: unknown): unknown {
  return isSafeString(value) ? value.val : value;
}

// Lists built from a template's `(a, b)` and from `dict.items()`: Python tuples, which print with parentheses and
// spread into `%` formatting.
const tuples = new WeakSet<unknown[]>();

/** Marks `items` as a Python tuple and returns it. */
export function makeTuple(items: unknown[]): unknown[] {
  tuples.add(items);
  return items;
}

/** Returns true when `value` is a tuple made by makeTuple(). */
export function isTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && tuples.has(value);
}

/** Returns true for the values Python sees as a dict: plain and null-prototype objects (and proxies over them). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  // Any realm's Object.prototype counts (its own prototype is null): objects made by structuredClone or another vm
  // context are plain too, while class instances are not.
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Returns Python's type name for `value`, as used in its error messages. */
export function pyTypeName(value: unknown): string {
  const v = unwrap(value);
  if (v === undefined) return 'Undefined';
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return isPyInt(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (isTuple(v)) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (isMapping(v)) return 'dict';
  return typeof v === 'function' ? 'function' : 'object';
}

/** Returns Python's `bool(value)`: None, undefined, false, 0, '' and empty lists and dicts are false. */
export function pyTruthy(value: unknown): boolean {
  const v = unwrap(value);
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return true;
}

/** Returns Python's repr of a float (shortest round-trip digits; exponent outside 1e-4..1e16). */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exp = '0'] = n.toExponential().split('e');
  const exponent = Number(exp);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const rest = digits.slice(1);
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${digits[0] ?? ''}${rest ? `.${rest}` : ''}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction || '0'}`;
}

/**
 * Returns true when a JSON number stands for a Python int: integral and below 1e16 (see pyNumberStr). Larger
 * integral values are floats, as Python's json module reads `1e+21`.
 */
export function isPyInt(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 1e16;
}

/** Returns the decimal digits of an integral number (`1e+21` → "1000000000000000000000"), as Python's int prints. */
export function intDigits(n: number): string {
  return BigInt(n).toString();
}

/**
 * Returns how Python prints a JSON number. JSON does not say whether `2` was an int or a float, so integral values
 * below 1e16 print as ints and the rest as floats (Python's float repr switches to exponents at 1e16 anyway).
 */
export function pyNumberStr(n: number): string {
  if (isPyInt(n)) return Object.is(n, -0) ? '0' : n.toFixed(0);
  return pyFloatRepr(n);
}

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Returns Python's repr of a string: single quotes unless the text has only single quotes. */
export function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      const code = ch.codePointAt(0) ?? 0;
      out += code < 0x100 ? `\\x${hex(code, 2)}` : code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
    } else out += ch;
  }
  return out + quote;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** Returns Python's `repr(value)` for JSON-shaped data. */
export function pyRepr(value: unknown): string {
  const v = unwrap(value);
  if (typeof v === 'string') return pyStringRepr(v);
  if (isTuple(v)) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(', ')})`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isMapping(v)) {
    return `{${Object.entries(v)
      .map(([k, item]) => `${pyStringRepr(k)}: ${pyRepr(item)}`)
      .join(', ')}}`;
  }
  return pyStr(v);
}

/** Returns Python's `str(value)`, which is what `{{ value }}` prints (undefined prints nothing). */
export function pyStr(value: unknown): string {
  const v = unwrap(value);
  switch (typeof v) {
    case 'string':
      return v;
    case 'undefined':
      return '';
    case 'boolean':
      return v ? 'True' : 'False';
    case 'number':
      return pyNumberStr(v);
    case 'bigint':
      return v.toString();
    case 'function':
      return '<function>';
    case 'symbol':
      return '';
    case 'object':
      if (v === null) return 'None';
      if (Array.isArray(v) || isMapping(v)) return pyRepr(v);
      return v instanceof Date ? v.toISOString() : '<object>';
  }
}

/** Returns Python's `a == b` for JSON-shaped data (deep for lists and dicts; True == 1). */
export function pyEq(left: unknown, right: unknown): boolean {
  const a = unwrap(left);
  const b = unwrap(right);
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'boolean') && (typeof b === 'number' || typeof b === 'boolean')) {
    return Number(a) === Number(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && pyEq(a[k], b[k]));
  }
  return false;
}

/** Returns Python's `a < b` ordering for sorting: numbers, strings, lists; anything else is a TypeError. */
export function pyCompare(left: unknown, right: unknown): number {
  const a = unwrap(left);
  const b = unwrap(right);
  const numeric = (x: unknown): x is number | boolean => typeof x === 'number' || typeof x === 'boolean';
  if (numeric(a) && numeric(b)) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = pyCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new TemplateError('render', `'<' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

/** Returns Python's `int(text, base)` for a string, or undefined when Python would raise ValueError. */
export function parsePyInt(text: string, base = 10): number | undefined {
  const m = /^([+-]?)(0[xob])?([0-9a-z]+(?:_[0-9a-z]+)*)$/i.exec(text.trim());
  if (!m || base < 0 || base === 1 || base > 36) return undefined;
  const radixOf: Record<string, number> = { '0x': 16, '0o': 8, '0b': 2 };
  let prefix = (m[2] ?? '').toLowerCase();
  let body = m[3] ?? '';
  // "0b1" in base 16 is a number, not a prefix.
  if (prefix && base !== 0 && radixOf[prefix] !== base) [prefix, body] = ['', `${m[2]}${body}`];
  const radix = base === 0 ? (radixOf[prefix] ?? 10) : base;
  const digits = body.replace(/_/g, '').toLowerCase();
  // base 0 refuses leading zeros on decimal numbers ("010"), as Python does.
  if (base === 0 && !prefix && /^0+[1-9]/.test(digits)) return undefined;
  let n = 0;
  for (const ch of digits) {
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= radix) return undefined;
    n = n * radix + d;
  }
  return m[1] === '-' ? -n : n;
}

/** Returns Python's `float(text)` for a string, or undefined when Python would raise ValueError. */
export function parsePyFloat(text: string): number | undefined {
  const t = text.trim().replace(/(?<=\d)_(?=\d)/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

/** Returns Python's `float(value)`, or undefined when Python would raise. */
export function toPyFloat(value: unknown): number | undefined {
  const v = unwrap(value);
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parsePyFloat(v);
  return undefined;
}

/** Returns Python's `int(value)` (truncating floats), or undefined when Python would raise. */
export function toPyInt(value: unknown): number | undefined {
  const v = unwrap(value);
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parsePyInt(v);
  return undefined;
}
