// The number functions of the `humanize` Python package (4.x), which jinja2-humanize-extension exposes as
// humanize_* filters. Each mirrors the Python function's branches, including what it returns for input it cannot
// use (usually `str(value)`); test/templates/fixtures/humanize-vectors.json holds the Python outputs.
import { TemplateError } from './errors';
import { memberLookup } from './members';
import { intDigits, parsePyInt, pyStr, toPyFloat, toPyInt, unwrap } from './python';
import { formatSpec, percentFormat, pyRound, strFormat } from './python-format';

/** Python's spelling of a non-finite number in humanize ("NaN", "+Inf", "-Inf"). */
export function notFinite(x: number): string {
  return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
}

/** Returns the nearest double to 10**n, as Python's float(10**n) and 10**-n give. */
export function pow10(n: number): number {
  return Number(`1e${n}`);
}

/** Python's `float(value)` that raises: humanize lets these errors escape in some functions. */
function strictFloat(value: unknown, fn: string): number {
  const x = toPyFloat(value);
  if (x === undefined)
    throw new TemplateError('render', `${fn}: could not convert ${pyStr(value) || 'value'} to float`);
  return x;
}

/** Python's `int(value)` for an int-able value (floats truncate, strings must be integers). */
function pyInt(value: unknown): number | undefined {
  const v = unwrap(value);
  return typeof v === 'string' ? parsePyInt(v) : toPyInt(v);
}

function pyDiv(a: number, b: number): [number, number] {
  // CPython's float divmod(): fmod, then adjust toward floor.
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) {
    mod += b;
    div -= 1;
  }
  if (div === 0) return [0, mod];
  let floor = Math.floor(div);
  if (div - floor > 0.5) floor += 1;
  return [floor, mod];
}

/** Returns Python's `divmod(a, b)` for numbers. */
export function pyDivmod(a: number, b: number): [number, number] {
  return pyDiv(a, b);
}

const DECIMAL_SUFFIXES = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB', 'RB', 'QB'];
const BINARY_SUFFIXES = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB', 'RiB', 'QiB'];
const GNU_SUFFIXES = [...'KMGTPEZYRQ'];

/** humanize.naturalsize: 3000000 → "3.0 MB" (binary: KiB, gnu: "2.9K"). */
export function naturalsize(value: unknown, binary: boolean, gnu: boolean, format: string): string {
  const suffix = gnu ? GNU_SUFFIXES : binary ? BINARY_SUFFIXES : DECIMAL_SUFFIXES;
  const base = gnu || binary ? 1024 : 1000;
  const bytes = strictFloat(value, 'naturalsize');
  const abs = Math.abs(bytes);
  if (abs === 1 && !gnu) return percentFormat('%d Byte', Math.trunc(bytes), false);
  if (abs < base) return gnu ? `${Math.trunc(bytes)}B` : percentFormat('%d Bytes', Math.trunc(bytes), false);
  let exp = Math.trunc(Math.min(Math.log(abs) / Math.log(base), suffix.length));
  const scale = (e: number) => Number(BigInt(base) ** BigInt(e));
  if (exp < suffix.length && Math.abs(Number(percentFormat(format, abs / scale(exp), false))) >= base) exp += 1;
  return percentFormat(format, bytes / scale(exp), false) + (gnu ? '' : ' ') + suffix[exp - 1]!;
}

/** humanize.intcomma: 1000000 → "1,000,000", 1234.5 → "1,234.5"; `ndigits` fixes the decimals. */
export function intcomma(value: unknown, ndigits: unknown = null): string {
  let v = unwrap(value);
  let float = false;
  if (typeof v === 'string') {
    v = v.replace(/,/g, '');
    const x = toPyFloat(v);
    if (x === undefined) return pyStr(v);
    if (!Number.isFinite(x)) return notFinite(x);
    float = (v as string).includes('.');
    const parsed = float ? x : parsePyInt(v as string);
    if (parsed === undefined) return pyStr(v);
    v = parsed;
  } else if (typeof v !== 'number' && typeof v !== 'boolean') {
    return pyStr(v);
  } else if (typeof v === 'number' && !Number.isFinite(v)) {
    return notFinite(v);
  }
  if (ndigits !== null && ndigits !== undefined) return formatSpec(v, `,.${pyInt(ndigits) ?? 0}f`);
  // "1000.0" was a Python float: it keeps its ".0", which a JS number cannot remember.
  const text = formatSpec(v, ',');
  return float && /^-?[\d,]+$/.test(text) ? `${text}.0` : text;
}

const POWERS = [3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 100];
const POWER_WORDS = ['thousand', 'million', 'billion', 'trillion', 'quadrillion', 'quintillion', 'sextillion', 'septillion', 'octillion', 'nonillion', 'decillion', 'googol']; // prettier-ignore

/** humanize.intword: 1200000 → "1.2 million". */
export function intword(value: unknown, format: string): string {
  const x = toPyFloat(value);
  if (x === undefined) return pyStr(value);
  if (!Number.isFinite(x)) return notFinite(x);
  const n = pyInt(value);
  if (n === undefined) return pyStr(value);
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  if (abs < 1000) return `${sign}${intDigits(abs)}`;
  let ordinal = POWERS.findIndex((p) => abs < pow10(p));
  const largest = ordinal === -1;
  ordinal = (largest ? POWERS.length : ordinal) - 1;
  const power = pow10(POWERS[ordinal]!);
  let rounded = Number(percentFormat(format, abs / power, false));
  if (!largest && rounded === Number(10n ** BigInt(POWERS[ordinal + 1]! - POWERS[ordinal]!))) {
    ordinal += 1;
    rounded = 1;
  }
  return `${sign}${percentFormat(format, rounded, false)} ${POWER_WORDS[ordinal]!}`;
}

const AP_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** humanize.apnumber: 0-9 spelled out ("five"), other integers as digits. */
export function apnumber(value: unknown): string {
  const x = toPyFloat(value);
  if (x === undefined) return pyStr(value);
  if (!Number.isFinite(x)) return notFinite(x);
  const n = pyInt(value);
  if (n === undefined) return pyStr(value);
  return n >= 0 && n < 10 ? AP_WORDS[n]! : intDigits(n);
}

/** humanize.ordinal: 1 → "1st", 112 → "112th". */
export function ordinal(value: unknown): string {
  const x = toPyFloat(value);
  if (x === undefined) return pyStr(value);
  if (!Number.isFinite(x)) return notFinite(x);
  const n = pyInt(value);
  if (n === undefined) return pyStr(value);
  const mod100 = pyDiv(n, 100)[1];
  const digit = mod100 === 11 || mod100 === 12 || mod100 === 13 ? 0 : pyDiv(n, 10)[1];
  return `${intDigits(n)}${['th', 'st', 'nd', 'rd'][digit] ?? 'th'}`;
}

/** Returns the exact fraction of a double as [numerator, denominator] in lowest terms. */
function exactFraction(x: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const expBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (expBits !== 0) mantissa |= 1n << 52n;
  const exp = (expBits === 0 ? -1074 : expBits - 1075) | 0;
  const sign = x < 0 ? -1n : 1n;
  if (mantissa === 0n) return [0n, 1n];
  if (exp >= 0) return [sign * (mantissa << BigInt(exp)), 1n];
  let den = 1n << BigInt(-exp);
  while ((mantissa & 1n) === 0n && den > 1n) [mantissa, den] = [mantissa >> 1n, den >> 1n];
  return [sign * mantissa, den];
}

const floorDiv = (a: bigint, b: bigint): bigint => (a % b !== 0n && a < 0n !== b < 0n ? a / b - 1n : a / b);
const absBig = (a: bigint): bigint => (a < 0n ? -a : a);

/** Python's Fraction(x).limit_denominator(max) → [numerator, denominator]. */
function limitDenominator(x: number, max: bigint): [bigint, bigint] {
  const [num, den] = exactFraction(x);
  if (den <= max) return [num, den];
  let [p0, q0, p1, q1] = [0n, 1n, 1n, 0n];
  let [n, d] = [num, den];
  for (;;) {
    const a = floorDiv(n, d);
    const q2 = q0 + a * q1;
    if (q2 > max) break;
    [p0, q0, p1, q1] = [p1, q1, p0 + a * p1, q2];
    [n, d] = [d, n - a * d];
  }
  const k = floorDiv(max - q0, q1);
  const [b1n, b1d] = [p0 + k * p1, q0 + k * q1];
  // |p1/q1 - num/den| <= |b1n/b1d - num/den|, compared without division.
  const distance2 = absBig(p1 * den - num * q1) * b1d;
  const distance1 = absBig(b1n * den - num * b1d) * q1;
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? absBig(a) : gcd(b, a % b));
  const [rn, rd] = distance2 <= distance1 ? [p1, q1] : [b1n, b1d];
  const g = gcd(rn, rd) || 1n;
  return rd < 0n ? [-rn / g, -rd / g] : [rn / g, rd / g];
}

/** humanize.fractional: 0.3 → "3/10", 1.3 → "1 3/10". */
export function fractional(value: unknown): string {
  const x = toPyFloat(value);
  if (x === undefined) return pyStr(value);
  if (!Number.isFinite(x)) return notFinite(x);
  const whole = Math.trunc(x);
  const [numerator, denominator] = limitDenominator(x - whole, 1000n);
  if (denominator === 1n) return (BigInt(whole) + numerator).toString();
  if (whole === 0) return `${numerator}/${denominator}`;
  return `${whole} ${absBig(numerator)}/${denominator}`;
}

const SUPERSCRIPTS: Record<string, string> = { '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻' }; // prettier-ignore

/** humanize.scientific: 500 → "5.00 x 10²". */
export function scientific(value: unknown, precision: unknown): string {
  const x = toPyFloat(value);
  if (x === undefined) return pyStr(value);
  if (!Number.isFinite(x)) return notFinite(x);
  const [mantissa = '', exponent = '0'] = formatSpec(x, `.${pyInt(precision) ?? 2}e`).split('e');
  return `${mantissa} x 10${[...String(Number(exponent))].map((c) => SUPERSCRIPTS[c] ?? c).join('')}`;
}

function requireNumber(value: unknown, fn: string): number {
  const v = unwrap(value);
  if (typeof v !== 'number' && typeof v !== 'boolean') {
    throw new TemplateError('render', `${fn}: must be real number, not ${typeof v === 'string' ? 'str' : pyStr(v)}`);
  }
  return Number(v);
}

/** humanize.clamp: formats `value` with a str.format pattern, clamped to [floor, ceil] with a marker. */
export function clamp(
  value: unknown,
  format: string,
  floor: unknown,
  ceil: unknown,
  floorToken: string,
  ceilToken: string,
) {
  if (unwrap(value) === null) return null;
  const x = requireNumber(value, 'clamp');
  if (!Number.isFinite(x)) return notFinite(x);
  let [shown, token]: [unknown, string] = [unwrap(value), ''];
  if (floor !== null && floor !== undefined && x < requireNumber(floor, 'clamp')) [shown, token] = [floor, floorToken];
  else if (ceil !== null && ceil !== undefined && x > requireNumber(ceil, 'clamp')) [shown, token] = [ceil, ceilToken];
  return token + strFormat(format, [shown], {}, memberLookup);
}

/** humanize.metric: 1500 with unit "V" → "1.50 kV". */
export function metric(value: unknown, unit: string, precision: unknown): string {
  let x = requireNumber(value, 'metric');
  if (!Number.isFinite(x)) return notFinite(x);
  const digitsFor = (e: number) => Math.max(0, (pyInt(precision) ?? 3) - pyDiv(e, 3)[1] - 1);
  let exponent = x !== 0 ? Math.floor(Math.log10(Math.abs(x))) : 0;
  if (exponent >= 33 || exponent < -30) return scientific(x, (pyInt(precision) ?? 3) - 1) + unit;
  const oldBucket = pyDiv(exponent, 3)[0] * 3;
  x /= pow10(oldBucket);
  let digits = digitsFor(exponent);
  if (exponent < 30 && pyRound(Math.abs(x), digits) >= pow10(pyDiv(exponent, 3)[1] + 1)) {
    exponent += 1;
    x /= pow10(pyDiv(exponent, 3)[0] * 3 - oldBucket);
    digits = digitsFor(exponent);
  }
  const prefix =
    exponent >= 3
      ? 'kMGTPEZYRQ'[pyDiv(exponent, 3)[0] - 1]!
      : exponent < 0
        ? 'mμnpfazyrq'[pyDiv(-exponent - 1, 3)[0]]!
        : '';
  const space = !(unit || prefix) || ['°', '′', '″'].includes(unit) ? '' : ' ';
  return `${formatSpec(x, `.${digits}f`)}${space}${prefix}${unit}`;
}
