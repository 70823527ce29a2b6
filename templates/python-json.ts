// Jinja's `tojson`: Python's json.dumps with Jinja's defaults (sorted keys, ASCII-only output, `", "` and `": "`
// separators) followed by htmlsafe_json_dumps' escaping of `<`, `>`, `&` and `'`. The text is valid JSON.
import { TemplateError } from './errors';
import { isMapping, pyNumberStr, pyTypeName, unwrap } from './python';

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    if (ESCAPES[ch] !== undefined) out += ESCAPES[ch];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Returns `json.dumps(value, sort_keys=True, indent=indent)` as Python prints it. `indent` is a number of spaces
 * or a string; without it items are separated by ", ". Values JSON cannot hold (undefined, functions, namespaces)
 * are a `render` TemplateError, as in Jinja.
 */
export function pyJsonDumps(value: unknown, indent?: number | string | null): string {
  const unit =
    indent === undefined || indent === null
      ? null
      : typeof indent === 'number'
        ? ' '.repeat(Math.max(0, indent))
        : indent;
  const itemSeparator = unit === null ? ', ' : ',';
  const encode = (input: unknown, level: number): string => {
    const v = unwrap(input);
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
      return pyNumberStr(v);
    }
    if (typeof v === 'string') return jsonString(v);
    const wrap = (open: string, items: string[], close: string): string => {
      if (items.length === 0) return open + close;
      if (unit === null) return open + items.join(itemSeparator) + close;
      const inner = `\n${unit.repeat(level + 1)}`;
      return `${open}${inner}${items.join(itemSeparator + inner)}\n${unit.repeat(level)}${close}`;
    };
    if (Array.isArray(v))
      return wrap(
        '[',
        v.map((item) => encode(item, level + 1)),
        ']',
      );
    if (isMapping(v)) {
      const keys = Object.keys(v).sort(byCodePoint);
      return wrap(
        '{',
        keys.map((k) => `${jsonString(k)}: ${encode(v[k], level + 1)}`),
        '}',
      );
    }
    throw new TemplateError('render', `Object of type ${pyTypeName(v)} is not JSON serializable`);
  };
  return encode(value, 0).replace(/[<>&']/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
