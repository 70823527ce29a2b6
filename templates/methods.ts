// The methods a template may call on values (`x.startswith('a')`, `d.get('k', 0)`, `d.items()`): Python's str,
// list and dict methods that do not mutate, plus a few JS string/array methods nunjucks users expect. Methods that
// would mutate the caller's data are refused, as in Jinja's ImmutableSandboxedEnvironment.
import { bindArgs, splitArgs } from './arguments';
import { TemplateError } from './errors';
import { Cycler } from './globals';
import { checkSize } from './limits';
import { memberLookup, securityError } from './members';
import { isMapping, makeTuple, pyEq, pyRepr, pyStr, pyTypeName, unwrap } from './python';
import { strFormat } from './python-format';

type Method<T> = (self: T, args: unknown[]) => unknown;

const PY_WHITESPACE = ' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, '\\$&');
}

/** Returns Python's `s.strip(chars)` family: `side` is 'both', 'left' or 'right'. */
export function pyStrip(s: string, chars: unknown, side: 'both' | 'left' | 'right' = 'both'): string {
  const set = chars === undefined || chars === null ? PY_WHITESPACE : escapeClass(String(unwrap(chars)));
  if (set === '') return s;
  let out = s;
  if (side !== 'right') out = out.replace(new RegExp(`^[${set}]+`, 'u'), '');
  if (side !== 'left') out = out.replace(new RegExp(`[${set}]+$`, 'u'), '');
  return out;
}

/** Returns Python's `s.split(sep, maxsplit)`. */
export function pySplit(s: string, sep: unknown, maxsplit: unknown): string[] {
  const limit = typeof maxsplit === 'number' && maxsplit >= 0 ? maxsplit : Infinity;
  if (sep === null || sep === undefined) {
    const parts: string[] = [];
    let rest = pyStrip(s, undefined, 'left');
    const ws = new RegExp(`[${PY_WHITESPACE}]+`, 'u');
    while (rest !== '' && parts.length < limit) {
      const m = ws.exec(rest);
      if (!m) break;
      parts.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    if (rest !== '') parts.push(rest);
    return parts;
  }
  const separator = pyStr(sep);
  if (separator === '') throw new TemplateError('render', 'empty separator');
  const pieces = s.split(separator);
  return pieces.length - 1 <= limit ? pieces : [...pieces.slice(0, limit), pieces.slice(limit).join(separator)];
}

/** Returns Python's `s.replace(old, new, count)`: every occurrence unless `count` is given. */
export function pyReplace(s: string, old: string, replacement: string, count = -1): string {
  if (old === '') {
    const chars = [...s];
    const n = count < 0 ? chars.length + 1 : Math.min(count, chars.length + 1);
    checkSize(s.length + n * replacement.length);
    return chars.map((c, i) => (i < n ? replacement + c : c)).join('') + (n > chars.length ? replacement : '');
  }
  const parts = s.split(old);
  const n = count < 0 ? parts.length - 1 : Math.min(count, parts.length - 1);
  checkSize(s.length + n * (replacement.length - old.length));
  const head = parts.slice(0, n + 1).join(replacement);
  return n < parts.length - 1 ? `${head}${old}${parts.slice(n + 1).join(old)}` : head;
}

/** Returns Python's `s.title()`: a cased character after an uncased one is upper-cased, the rest lower-cased. */
export function pyTitle(s: string): string {
  let previousCased = false;
  let out = '';
  for (const c of s) {
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    const cased = lower !== upper;
    out += cased ? (previousCased ? lower : upper) : c;
    previousCased = cased;
  }
  return out;
}

function affixes(value: unknown): string[] {
  const v = unwrap(value);
  if (Array.isArray(v)) return v.map((x) => pyStr(x));
  if (typeof v !== 'string')
    throw new TemplateError('render', `expected a str or a tuple of str, not ${pyTypeName(v)}`);
  return [v];
}

function pad(s: string, width: unknown, fill: unknown, side: 'left' | 'right' | 'center'): string {
  const w = Number(width);
  checkSize(w);
  const f = fill === undefined ? ' ' : pyStr(fill);
  const missing = w - [...s].length;
  if (missing <= 0) return s;
  if (side === 'left') return f.repeat(missing) + s;
  if (side === 'right') return s + f.repeat(missing);
  const left = Math.floor(missing / 2) + (missing & w & 1);
  return f.repeat(left) + s + f.repeat(missing - left);
}

const STRING_METHODS: Record<string, Method<string>> = {
  startswith: (s, a) => affixes(bindArgs('startswith', [['prefix']], a).prefix).some((p) => s.startsWith(p)),
  endswith: (s, a) => affixes(bindArgs('endswith', [['suffix']], a).suffix).some((p) => s.endsWith(p)),
  split: (s, a) =>
    ((p) => pySplit(s, p.sep, p.maxsplit))(
      bindArgs(
        'split',
        [
          ['sep', null],
          ['maxsplit', -1],
        ],
        a,
      ),
    ),
  strip: (s, a) => pyStrip(s, bindArgs('strip', [['chars', null]], a).chars),
  lstrip: (s, a) => pyStrip(s, bindArgs('lstrip', [['chars', null]], a).chars, 'left'),
  rstrip: (s, a) => pyStrip(s, bindArgs('rstrip', [['chars', null]], a).chars, 'right'),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  title: (s) => pyTitle(s),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  replace: (s, a) => {
    const p = bindArgs('replace', [['old'], ['new'], ['count', -1]], a);
    return pyReplace(s, pyStr(p.old), pyStr(p.new), Number(p.count));
  },
  find: (s, a) => s.indexOf(pyStr(bindArgs('find', [['sub']], a).sub)),
  rfind: (s, a) => s.lastIndexOf(pyStr(bindArgs('rfind', [['sub']], a).sub)),
  index: (s, a) => {
    const i = s.indexOf(pyStr(bindArgs('index', [['sub']], a).sub));
    if (i < 0) throw new TemplateError('render', 'substring not found');
    return i;
  },
  count: (s, a) => {
    const sub = pyStr(bindArgs('count', [['sub']], a).sub);
    return sub === '' ? [...s].length + 1 : s.split(sub).length - 1;
  },
  join: (s, a) => {
    const items = unwrap(bindArgs('join', [['iterable']], a).iterable);
    const list =
      typeof items === 'string'
        ? [...items]
        : Array.isArray(items)
          ? items
          : isMapping(items)
            ? Object.keys(items)
            : null;
    if (list === null) throw new TemplateError('render', 'can only join an iterable');
    const out = list.map((x, i) => {
      const v = unwrap(x);
      if (typeof v !== 'string')
        throw new TemplateError('render', `sequence item ${i}: expected str instance, ${pyTypeName(v)} found`);
      return v;
    });
    return out.join(s);
  },
  format: (s, a) => {
    const { positional, kwargs } = splitArgs(a);
    return strFormat(s, positional, kwargs, memberLookup);
  },
  splitlines: (s) =>
    s.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/).filter((_, i, all) => i < all.length - 1 || all[i] !== ''),
  partition: (s, a) => {
    const sep = pyStr(bindArgs('partition', [['sep']], a).sep);
    const i = s.indexOf(sep);
    return makeTuple(i < 0 ? [s, '', ''] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  isdigit: (s) => /^\p{Nd}+$/u.test(s),
  isnumeric: (s) => /^\p{N}+$/u.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s) => s !== '' && pyStrip(s, undefined) === '',
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  zfill: (s, a) => {
    const width = Number(bindArgs('zfill', [['width']], a).width);
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + pad(s.slice(sign.length), width - sign.length, '0', 'left');
  },
  ljust: (s, a) => ((p) => pad(s, p.width, p.fillchar, 'right'))(bindArgs('ljust', [['width'], ['fillchar', ' ']], a)),
  rjust: (s, a) => ((p) => pad(s, p.width, p.fillchar, 'left'))(bindArgs('rjust', [['width'], ['fillchar', ' ']], a)),
  center: (s, a) =>
    ((p) => pad(s, p.width, p.fillchar, 'center'))(bindArgs('center', [['width'], ['fillchar', ' ']], a)),
  // JS spellings that nunjucks templates use; none can mutate or reach code.
  toUpperCase: (s) => s.toUpperCase(),
  toLowerCase: (s) => s.toLowerCase(),
  trim: (s) => s.trim(),
  includes: (s, a) => s.includes(pyStr(a[0])),
  startsWith: (s, a) => s.startsWith(pyStr(a[0])),
  endsWith: (s, a) => s.endsWith(pyStr(a[0])),
  indexOf: (s, a) => s.indexOf(pyStr(a[0])),
  slice: (s, a) => s.slice(Number(a[0] ?? 0), a[1] === undefined ? undefined : Number(a[1])),
  substring: (s, a) => s.substring(Number(a[0] ?? 0), a[1] === undefined ? undefined : Number(a[1])),
};

function listIndex(list: unknown[], value: unknown): number {
  return list.findIndex((x) => pyEq(x, value));
}

const LIST_METHODS: Record<string, Method<unknown[]>> = {
  index: (l, a) => {
    const i = listIndex(l, bindArgs('index', [['value']], a).value);
    if (i < 0) throw new TemplateError('render', `${pyRepr(a[0])} is not in list`);
    return i;
  },
  count: (l, a) => l.filter((x) => pyEq(x, bindArgs('count', [['value']], a).value)).length,
  copy: (l) => [...l],
  includes: (l, a) => listIndex(l, a[0]) >= 0,
  indexOf: (l, a) => listIndex(l, a[0]),
  join: (l, a) => l.map((x) => pyStr(x)).join(a[0] === undefined ? ',' : pyStr(a[0])),
  slice: (l, a) => l.slice(Number(a[0] ?? 0), a[1] === undefined ? undefined : Number(a[1])),
};

const DICT_METHODS: Record<string, Method<Record<string, unknown>>> = {
  get: (d, a) => {
    const p = bindArgs('get', [['key'], ['default', null]], a);
    const key = pyStr(p.key);
    return Object.hasOwn(d, key) ? d[key] : p.default;
  },
  items: (d) => Object.entries(d).map(makeTuple),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  copy: (d) => ({ ...d }),
};

const MUTATING = new Set([
  'append', 'extend', 'insert', 'pop', 'remove', 'reverse', 'sort', 'clear', 'update', 'popitem', 'setdefault',
  'push', 'shift', 'unshift', 'splice', 'fill', 'copyWithin', 'add', 'discard', 'set', 'delete',
]); // prettier-ignore

/** Returns true for the `loop` variable of a for loop (a frame-made record with index0 and length). */
function isLoop(value: unknown): value is { index0: number } {
  return isMapping(value) && Object.getPrototypeOf(value) === null && typeof value.index0 === 'number';
}

/**
 * Calls the method `key` of `target` with `args`; `found` is false when `target` has no such method (the caller
 * then reports it). Mutating methods are a `security` error.
 */
export function callBuiltinMethod(target: unknown, key: string, args: unknown[]): { found: boolean; value?: unknown } {
  const call = <T>(table: Record<string, Method<T>>, self: T) =>
    Object.hasOwn(table, key) ? { found: true, value: table[key]!(self, args) } : { found: false };
  if (typeof target === 'string') return call(STRING_METHODS, target);
  if ((Array.isArray(target) || isMapping(target)) && MUTATING.has(key)) {
    throw securityError(`access to attribute '${key}' of '${pyTypeName(target)}' object is unsafe.`);
  }
  if (Array.isArray(target)) return call(LIST_METHODS, target);
  if (key === 'cycle' && isLoop(target)) {
    const items = splitArgs(args).positional;
    if (items.length === 0) throw new TemplateError('render', 'no items for cycling given');
    return { found: true, value: items[target.index0 % items.length] };
  }
  if (isMapping(target)) return call(DICT_METHODS, target);
  if (target instanceof Cycler && (key === 'next' || key === 'reset')) return { found: true, value: target[key]() };
  return { found: false };
}
