// Jinja's built-in filters for strings and numbers, with Jinja's semantics where nunjucks' differ: `default` only
// replaces undefined, `tojson` is Python's json.dumps, `int("3.9")` is 3, `round` rounds half to even, `format` is
// Python's `%`, `title` and `truncate` follow Jinja's rules. Collections are in filters-collections.ts.
import { bindArgs, splitArgs } from './arguments';
import { TemplateError } from './errors';
import { checkSize } from './limits';
import { pyReplace, pyStrip } from './methods';
import { pyStr, pyTruthy, pyTypeName, parsePyInt, toPyFloat, unwrap } from './python';
import { formatSpec, percentFormat, pyRound } from './python-format';
import { pyJsonDumps } from './python-json';

/** A filter: the piped value first, then the call's arguments (keyword arguments as a trailing object). */
export type FilterFunction = (value: unknown, ...args: unknown[]) => unknown;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', raquo: '»', laquo: '«', copy: '©', reg: '®', hellip: '…', mdash: '—', ndash: '–' }; // prettier-ignore

/** Returns markupsafe's `escape(value)` text. */
export function htmlEscape(value: unknown): string {
  return pyStr(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function number(value: unknown, filter: string): number {
  const v = unwrap(value);
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TemplateError('render', `${filter}: expected a number, got ${pyTypeName(v)}`);
}

function utf8Quote(text: string, safe: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out +=
      /[A-Za-z0-9_.~-]/.test(ch) || safe.includes(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Returns Jinja's url_quote: "/" kept in paths; in query strings "/" is quoted and spaces become "+". */
function urlQuote(value: unknown, forQuery: boolean): string {
  const quoted = utf8Quote(pyStr(value), forQuery ? '' : '/');
  return forQuery ? quoted.replace(/%20/g, '+') : quoted;
}

function center(text: string, width: number): string {
  checkSize(width);
  const missing = width - [...text].length;
  if (missing <= 0) return text;
  const left = Math.floor(missing / 2) + (missing & width & 1);
  return ' '.repeat(left) + text + ' '.repeat(missing - left);
}

function indent(text: string, width: unknown, first: unknown, blank: unknown): string {
  const lineCount = text.split('\n').length + 1;
  const unitLength = typeof width === 'string' ? width.length : Number(width);
  checkSize(unitLength * lineCount + text.length);
  const unit = typeof width === 'string' ? width : ' '.repeat(unitLength);
  // Jinja appends a newline before splitlines(), so a trailing newline survives.
  const lines = `${text}\n`.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/).slice(0, -1);
  let out: string;
  if (pyTruthy(blank)) out = lines.join(`\n${unit}`);
  else out = [lines[0] ?? '', ...lines.slice(1).map((line) => (line ? unit + line : line))].join('\n');
  return pyTruthy(first) ? unit + out : out;
}

function truncate(text: string, length: number, killwords: unknown, end: string, leeway: number): string {
  const chars = [...text];
  const endLength = [...end].length;
  if (length < endLength) throw new TemplateError('render', `expected length >= ${endLength}, got ${length}`);
  if (leeway < 0) throw new TemplateError('render', `expected leeway >= 0, got ${leeway}`);
  if (chars.length <= length + leeway) return text;
  const head = chars.slice(0, length - endLength).join('');
  if (pyTruthy(killwords)) return head + end;
  const space = head.lastIndexOf(' ');
  return (space < 0 ? head : head.slice(0, space)) + end;
}

function striptags(value: unknown): string {
  const text = pyStr(value);
  let out = '';
  let pos = 0;
  for (let start = text.indexOf('<'); start !== -1; start = text.indexOf('<', pos)) {
    const comment = text.startsWith('<!--', start);
    const close = comment ? text.indexOf('-->', start + 4) : text.indexOf('>', start);
    if (close === -1) break;
    out += text.slice(pos, start);
    pos = close + (comment ? 3 : 1);
  }
  out += text.slice(pos);
  return pyStrip(out, undefined)
    .split(/\s+/u)
    .filter(Boolean)
    .join(' ')
    .replace(/&(#x[\da-f]+|#\d+|[a-z]+);/gi, (entity: string, name: string) => {
      if (name.startsWith('#')) {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
      }
      return ENTITIES[name.toLowerCase()] ?? entity;
    });
}

function filesizeformat(value: unknown, binary: unknown): string {
  const bytes = toPyFloat(value);
  if (bytes === undefined) throw new TemplateError('render', `could not convert ${pyTypeName(value)} to float`);
  const base = pyTruthy(binary) ? 1024 : 1000;
  const prefixes = pyTruthy(binary)
    ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']
    : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
  let unit = 0;
  for (const [i, prefix] of prefixes.entries()) {
    unit = base ** (i + 2);
    if (bytes < unit) return `${formatSpec((base * bytes) / unit, '.1f')} ${prefix}`;
  }
  return `${formatSpec((base * bytes) / unit, '.1f')} ${prefixes[prefixes.length - 1]!}`;
}

/** Returns Jinja's `int` filter: "42" → 42, "3.9" → 3, anything unparseable → `default`. */
export function jinjaInt(value: unknown, defaultValue: unknown = 0, base: unknown = 10): unknown {
  const v = unwrap(value);
  if (typeof v === 'string') {
    const n = parsePyInt(v, Number(base));
    if (n !== undefined) return n;
  } else if (typeof v === 'number' && !Number.isNaN(v)) {
    if (!Number.isFinite(v)) throw new TemplateError('render', 'cannot convert float infinity to integer');
    return Math.trunc(v);
  } else if (typeof v === 'boolean') return v ? 1 : 0;
  const f = toPyFloat(v);
  return f !== undefined && Number.isFinite(f) ? Math.trunc(f) : defaultValue;
}

const filters: Record<string, FilterFunction> = {
  default: (value, ...args) => {
    const p = bindArgs(
      'default',
      [
        ['default_value', ''],
        ['boolean', false],
      ],
      args,
    );
    return value === undefined || (pyTruthy(p.boolean) && !pyTruthy(value)) ? p.default_value : value;
  },
  string: (value) => pyStr(value),
  safe: (value) => pyStr(value),
  escape: (value) => htmlEscape(value),
  lower: (value) => pyStr(value).toLowerCase(),
  upper: (value) => pyStr(value).toUpperCase(),
  capitalize: (value) => ((s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase())(pyStr(value)),
  title: (value) =>
    pyStr(value)
      .split(/([-\s({[<]+)/u)
      .filter(Boolean)
      .map((item) => item.charAt(0).toUpperCase() + item.slice(1).toLowerCase())
      .join(''),
  trim: (value, ...args) => pyStrip(pyStr(value), bindArgs('trim', [['chars', null]], args).chars),
  replace: (value, ...args) => {
    const p = bindArgs('replace', [['old'], ['new'], ['count', null]], args);
    return pyReplace(pyStr(value), pyStr(p.old), pyStr(p.new), p.count === null ? -1 : Number(p.count));
  },
  truncate: (value, ...args) => {
    const p = bindArgs(
      'truncate',
      [
        ['length', 255],
        ['killwords', false],
        ['end', '...'],
        ['leeway', null],
      ],
      args,
    );
    return truncate(
      pyStr(value),
      Number(p.length),
      p.killwords,
      pyStr(p.end),
      p.leeway === null ? 5 : Number(p.leeway),
    );
  },
  wordcount: (value) => (pyStr(value).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
  center: (value, ...args) => center(pyStr(value), Number(bindArgs('center', [['width', 80]], args).width)),
  indent: (value, ...args) => {
    const p = bindArgs(
      'indent',
      [
        ['width', 4],
        ['first', false],
        ['blank', false],
      ],
      args,
    );
    return indent(pyStr(value), p.width, p.first, p.blank);
  },
  format: (value, ...args) => {
    const { positional, kwargs } = splitArgs(args);
    const keyword = Object.keys(kwargs).length > 0;
    if (keyword && positional.length > 0) {
      throw new TemplateError('render', "can't handle positional and keyword arguments at the same time");
    }
    const text = percentFormat(pyStr(value), keyword ? kwargs : positional, !keyword);
    checkSize(text.length);
    return text;
  },
  striptags,
  urlencode: (value) => {
    const v = unwrap(value);
    if (v === undefined) return '';
    if (typeof v === 'string' || (!Array.isArray(v) && !(v !== null && typeof v === 'object')))
      return urlQuote(v, false);
    const pairs = Array.isArray(v) ? v.map((pair) => [...(pair as unknown[])]) : Object.entries(v);
    return pairs.map(([k, item]) => `${urlQuote(k, true)}=${urlQuote(item, true)}`).join('&');
  },
  int: (value, ...args) => {
    const p = bindArgs(
      'int',
      [
        ['default', 0],
        ['base', 10],
      ],
      args,
    );
    return jinjaInt(value, p.default, p.base);
  },
  float: (value, ...args) => toPyFloat(value) ?? bindArgs('float', [['default', 0]], args).default,
  round: (value, ...args) => {
    const p = bindArgs(
      'round',
      [
        ['precision', 0],
        ['method', 'common'],
      ],
      args,
    );
    const x = number(value, 'round');
    const precision = Number(p.precision);
    if (p.method === 'common') return pyRound(x, precision);
    if (p.method !== 'ceil' && p.method !== 'floor') {
      throw new TemplateError('render', 'method must be common, ceil or floor');
    }
    return Math[p.method](x * 10 ** precision) / 10 ** precision;
  },
  abs: (value) => Math.abs(number(value, 'abs')),
  filesizeformat: (value, ...args) =>
    filesizeformat(value, bindArgs('filesizeformat', [['binary', false]], args).binary),
  tojson: (value, ...args) => {
    const { indent: width } = bindArgs('tojson', [['indent', null]], args);
    checkSize(typeof width === 'number' ? width : typeof width === 'string' ? width.length : 0);
    const text = pyJsonDumps(value, width as number | string | null);
    checkSize(text.length);
    return text;
  },
};

/** Returns the string and number filters, with Jinja's aliases (`d`, `e`, `forceescape`). */
export function stringFilters(): Record<string, FilterFunction> {
  return { ...filters, d: filters.default!, e: filters.escape!, forceescape: filters.escape! };
}
