// Python's two string-formatting languages, `"%.1f" % x` and `"{:,}".format(x)`, used by the `format` filter, the
// `%` operator, `str.format` and the humanize filters (whose `format=` arguments are Python format strings).
//
// Implementation notes:
// - Floats are rounded from their exact binary value with round-half-even, as CPython does; JS `toFixed` rounds
//   ties away from zero (0.125 → "0.13" where Python prints "0.12"), so it is not used.
// - JSON cannot tell 2 from 2.0: integral numbers are ints here (`{:d}` accepts them, `%s` prints "2").
import { TemplateError } from './errors';
import { checkSize } from './limits';
import { isMapping, isPyInt, pyFloatRepr, pyRepr, pyStr, pyTypeName, unwrap } from './python';

interface Decimal {
  digits: string; // significant digits, no leading zeros ('0' for zero)
  point: number; // value = 0.<digits> × 10^point
}

/** Returns the exact decimal expansion of |x| for a finite double. */
function exactDecimal(x: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const expBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (expBits !== 0) mantissa |= 1n << 52n;
  const exp = expBits === 0 ? -1074 : expBits - 1075;
  if (mantissa === 0n) return { digits: '0', point: 1 };
  const text = exp >= 0 ? (mantissa << BigInt(exp)).toString() : (mantissa * 5n ** BigInt(-exp)).toString();
  const point = exp >= 0 ? text.length : text.length + exp;
  return { digits: text.replace(/0+$/, '') || '0', point };
}

/** Rounds to the first `keep` digits with round-half-even (keep may be ≤ 0). */
function roundDecimal(d: Decimal, keep: number): Decimal {
  if (keep >= d.digits.length) return d;
  if (keep < 0) return { digits: '0', point: d.point };
  const next = d.digits.charCodeAt(keep) - 48;
  const rest = /[1-9]/.test(d.digits.slice(keep + 1));
  const kept = d.digits.slice(0, keep);
  const lastOdd = kept.length > 0 && (kept.charCodeAt(kept.length - 1) - 48) % 2 === 1;
  if (next < 5 || (next === 5 && !rest && !lastOdd)) return { digits: kept || '0', point: d.point };
  const bumped = (BigInt(kept || '0') + 1n).toString();
  return { digits: bumped, point: d.point + (bumped.length > kept.length ? 1 : 0) };
}

/** Returns |x| in fixed notation with `precision` fraction digits. */
function fixed(x: number, precision: number): string {
  const exact = exactDecimal(x);
  const r = roundDecimal(exact, exact.point + precision);
  const all = r.digits === '0' ? '' : r.digits;
  const intPart = r.point > 0 ? all.slice(0, r.point).padEnd(r.point, '0') : '';
  const frac = (r.point < 0 ? '0'.repeat(-r.point) + all : all.slice(Math.max(r.point, 0))).padEnd(precision, '0');
  return `${intPart || '0'}${precision > 0 ? `.${frac.slice(0, precision)}` : ''}`;
}

/** Returns |x| as `d.ddde+XX` with `precision` mantissa digits after the point. */
function exponential(x: number, precision: number, upper: boolean): string {
  let mantissa: string;
  let exp: number;
  if (x === 0) [mantissa, exp] = ['0'.repeat(precision + 1), 0];
  else {
    const r = roundDecimal(exactDecimal(x), precision + 1);
    [mantissa, exp] = [r.digits.slice(0, precision + 1).padEnd(precision + 1, '0'), r.point - 1];
  }
  const e = `${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${Math.abs(exp).toString().padStart(2, '0')}`;
  return `${mantissa[0] ?? '0'}${precision > 0 ? `.${mantissa.slice(1)}` : ''}${e}`;
}

/** Returns |x| in Python's `g` format (`alternate` keeps trailing zeros). */
function general(x: number, precision: number, upper: boolean, alternate: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const exp = x === 0 ? 0 : roundDecimal(exactDecimal(x), p).point - 1;
  const text = exp >= -4 && exp < p ? fixed(x, p - 1 - exp) : exponential(x, p - 1, upper);
  if (alternate) return text;
  return text.replace(/(\.\d*?)0+(?=$|[eE])/, '$1').replace(/\.(?=$|[eE])/, '');
}

/** Formats a non-negative float for a float presentation type (f, e, g, %, or '' = repr). */
function formatFloat(x: number, type: string, precision: number | undefined, alternate: boolean): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : 'inf';
  switch (type) {
    case 'f':
    case 'F':
      return fixed(x, precision ?? 6) + (alternate && precision === 0 ? '.' : '');
    case 'e':
    case 'E':
      return exponential(x, precision ?? 6, type === 'E');
    case 'g':
    case 'G':
    case 'n':
      return general(x, precision ?? 6, type === 'G', alternate);
    case '%':
      return `${fixed(x * 100, precision ?? 6)}%`;
    default: {
      if (precision === undefined) return pyFloatRepr(x);
      const text = general(x, precision, false, alternate);
      return /[.e]/.test(text) || !Number.isFinite(x) ? text : `${text}.0`;
    }
  }
}

function group(intDigits: string, separator: string, size = 3): string {
  return intDigits.replace(new RegExp(`\\B(?=(\\d{${size}})+(?!\\d))`, 'g'), separator);
}

function formatError(message: string): TemplateError {
  return new TemplateError('render', message);
}

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

/** Returns Python's `format(value, spec)` (the format-spec mini-language of `str.format` and f-strings). */
export function formatSpec(input: unknown, spec: string): string {
  const value = unwrap(input);
  // format(x, '') is str(x) for every built-in type (True stays "True").
  if (spec === '') return pyStr(value);
  const m = SPEC.exec(spec);
  if (!m) throw formatError(`Invalid format specifier '${spec}' for object of type '${pyTypeName(value)}'`);
  const [, fillChar, alignChar, signChar, , alt, zero, widthText, grouping, precText, typeChar] = m;
  const type = typeChar ?? '';
  const width = widthText ? Number(widthText) : 0;
  const precision = precText === undefined ? undefined : Number(precText);
  // Padding and digits are bounded by the output budget before anything is built.
  checkSize(Math.max(width, precision ?? 0));
  const fill = fillChar ?? (zero && !alignChar ? '0' : ' ');
  let align = alignChar ?? (zero ? '=' : undefined);
  let sign = '';
  let body: string;
  if (typeof value === 'number' || typeof value === 'boolean') {
    const n = Number(value);
    const integral = typeof value === 'boolean' || isPyInt(n);
    sign = n < 0 || (Object.is(n, -0) && !integral) ? '-' : signChar === '+' ? '+' : signChar === ' ' ? ' ' : '';
    const abs = Math.abs(n);
    if (type !== '' && 'bcdoxX'.includes(type)) {
      if (!integral) throw formatError(`Unknown format code '${type}' for object of type 'float'`);
      const radix = { b: 2, o: 8, x: 16, X: 16 }[type] ?? 10;
      body = type === 'c' ? String.fromCodePoint(abs) : BigInt(abs).toString(radix);
      if (type === 'X') body = body.toUpperCase();
      if (grouping && type !== 'c') body = group(body, grouping, type === 'd' ? 3 : 4);
      if (alt && radix !== 10) body = `0${type}${body}`;
    } else if (type === '' && integral && precision === undefined) {
      body = grouping ? group(BigInt(abs).toString(), grouping) : BigInt(abs).toString();
    } else {
      body = formatFloat(abs, type, precision, Boolean(alt));
      if (grouping) body = body.replace(/^\d+/, (d) => group(d, grouping));
    }
    align ??= '>';
  } else {
    if (type !== '' && type !== 's') {
      throw formatError(`Unknown format code '${type}' for object of type '${pyTypeName(value)}'`);
    }
    if (signChar) throw formatError('Sign not allowed in string format specifier');
    body = pyStr(value);
    if (precision !== undefined) body = [...body].slice(0, precision).join('');
    align ??= '<';
    if (align === '=') throw formatError("'=' alignment not allowed in string format specifier");
  }
  const length = [...sign].length + [...body].length;
  if (width <= length) return sign + body;
  const pad = width - length;
  switch (align) {
    case '<':
      return sign + body + fill.repeat(pad);
    case '^':
      return fill.repeat(Math.floor(pad / 2)) + sign + body + fill.repeat(Math.ceil(pad / 2));
    case '=':
      return sign + fill.repeat(pad) + body;
    default:
      return fill.repeat(pad) + sign + body;
  }
}

const PERCENT = /%(?:\(([^)]*)\))?([#0\- +]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

/** Returns Python's `template % args`; `args` is an array for a tuple, a mapping for `%(name)s`, else one value. */
export function percentFormat(template: string, args: unknown, isTuple: boolean): string {
  const positional = isTuple && Array.isArray(args) ? [...(args as unknown[])] : [args];
  const mapping = isMapping(args) ? args : undefined;
  let index = 0;
  const take = (): unknown => {
    if (index >= positional.length) throw formatError('not enough arguments for format string');
    return positional[index++];
  };
  const out = template.replace(
    PERCENT,
    (_m: string, key: string | undefined, flags: string, w?: string, p?: string, t: string = '') => {
      if (t === '%') return '%';
      let value: unknown;
      const width = w === '*' ? Number(take()) : w ? Number(w) : 0;
      const precision = p === '*' ? Number(take()) : p === undefined ? undefined : Number(p);
      if (key !== undefined) {
        if (!mapping) throw formatError('format requires a mapping');
        value = Object.hasOwn(mapping, key) ? mapping[key] : undefined;
        if (value === undefined) throw formatError(`KeyError: '${key}'`);
      } else value = take();
      return percentOne(unwrap(value), t, flags, width, precision);
    },
  );
  // Like CPython, a non-tuple mapping or list on the right may go unused without complaint.
  const mappingLike = !isTuple && (mapping !== undefined || Array.isArray(args));
  if (index < positional.length && !mappingLike) {
    throw formatError('not all arguments converted during string formatting');
  }
  return out;
}

function padText(text: string, width: number, left: boolean): string {
  checkSize(width);
  const pad = width - [...text].length;
  if (pad <= 0) return text;
  return left ? text + ' '.repeat(pad) : ' '.repeat(pad) + text;
}

function percentOne(value: unknown, type: string, flags: string, width: number, precision?: number): string {
  const left = flags.includes('-');
  if (type === 's' || type === 'r' || type === 'a') {
    const text = type === 's' ? pyStr(value) : pyRepr(value);
    return padText(precision === undefined ? text : [...text].slice(0, precision).join(''), width, left);
  }
  if (type === 'c') {
    return padText(typeof value === 'string' ? value : String.fromCodePoint(Number(value)), width, left);
  }
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw formatError(`%${type} format: a real number is required, not ${pyTypeName(value)}`);
  }
  const n = Number(value);
  const zero = flags.includes('0') && !left;
  const sign = flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const alt = flags.includes('#') ? '#' : '';
  if ('diuoxX'.includes(type)) {
    if (!Number.isFinite(n)) throw formatError('cannot convert float infinity to integer');
    if ('oxX'.includes(type) && !Number.isInteger(n)) {
      throw formatError(`%${type} format: an integer is required, not float`);
    }
    const radix = type === 'o' ? 8 : type === 'x' || type === 'X' ? 16 : 10;
    let digits = BigInt(Math.trunc(Math.abs(n))).toString(radix);
    if (type === 'X') digits = digits.toUpperCase();
    checkSize(Math.max(width, precision ?? 0));
    if (precision !== undefined) digits = digits.padStart(precision, '0');
    if (alt && radix !== 10) digits = `0${type}${digits}`;
    return padNumber((n < 0 ? '-' : sign) + digits, width, left, zero);
  }
  const spec = `${left ? '<' : ''}${sign}${alt}${zero ? '0' : ''}${width || ''}.${precision ?? 6}${type}`;
  return formatSpec(n, spec);
}

function padNumber(text: string, width: number, left: boolean, zero: boolean): string {
  if (text.length >= width) return text;
  if (left) return text.padEnd(width);
  if (!zero) return text.padStart(width);
  const signLength = /^[-+ ]/.test(text) ? 1 : 0;
  return text.slice(0, signLength) + text.slice(signLength).padStart(width - signLength, '0');
}

const FIELD = /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::((?:[^{}]|\{[^{}]*\})*))?\}|[{}]/g;

/**
 * Returns Python's `template.format(*args, **kwargs)`. Field names may index (`{0[1]}`, `{a[key]}`) and dive
 * into mappings (`{a.b}`); `lookup` performs each step so the sandbox's member rules apply.
 */
export function strFormat(
  template: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
  lookup: (target: unknown, key: string | number) => unknown,
): string {
  let auto = 0;
  const resolve = (fieldName: string): unknown => {
    const [, head = '', tail = ''] = /^([^.[]*)(.*)$/s.exec(fieldName) ?? [];
    let value: unknown;
    if (head === '') value = args[auto++];
    else if (/^\d+$/.test(head)) value = args[Number(head)];
    else value = Object.hasOwn(kwargs, head) ? kwargs[head] : undefined;
    if (value === undefined)
      throw formatError(
        head === '' || /^\d+$/.test(head) ? 'IndexError: Replacement index out of range' : `KeyError: '${head}'`,
      );
    for (const [, attr, index] of tail.matchAll(/\.([^.[]+)|\[([^\]]+)\]/g)) {
      value = lookup(value, attr ?? (/^\d+$/.test(index ?? '') ? Number(index) : (index ?? '')));
    }
    return value;
  };
  return template.replace(FIELD, (match: string, name: string | undefined, conversion?: string, spec: string = '') => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    if (name === undefined) throw formatError(`Single '${match}' encountered in format string`);
    let value = resolve(name);
    if (conversion === 'r' || conversion === 'a') value = pyRepr(value);
    else if (conversion === 's') value = pyStr(value);
    const fullSpec = spec.replace(/\{([^{}]*)\}/g, (_s: string, inner: string) => pyStr(resolve(inner)));
    return formatSpec(value, fullSpec);
  });
}

/** Returns Python's `round(x, ndigits)`: round-half-even on the exact binary value (round(2.675, 2) is 2.67). */
export function pyRound(x: number, ndigits = 0): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const exact = exactDecimal(x);
  const r = roundDecimal(exact, exact.point + ndigits);
  if (r.digits === '0') return x < 0 ? -0 : 0;
  return Number(`${x < 0 ? '-' : ''}0.${r.digits}e${r.point}`);
}
