// Jinja's built-in filters over lists and dicts (length, join, sort, map, select, groupby, ...). Results are new
// lists: no filter mutates the caller's data. Attribute paths (`attribute='a.b.0'`) go through the sandbox's
// member lookup, so filters reach exactly what `{{ x.a.b[0] }}` could.
import { bindArgs, splitArgs } from './arguments';
import { TemplateError } from './errors';
import type { FilterFunction } from './filters';
import { checkSize, tick } from './limits';
import { memberLookup } from './members';
import { isMapping, makeTuple, pyCompare, pyEq, pyRepr, pyStr, pyTruthy, pyTypeName, unwrap } from './python';

/** A test as `{% if x is name %}` calls it. */
export type TestFunction = (value: unknown, ...args: unknown[]) => boolean;

/** How collection filters find other filters and tests by name (`map('upper')`, `select('odd')`). */
export interface FilterHost {
  filter(name: string): FilterFunction | undefined;
  test(name: string): TestFunction | undefined;
}

/** Returns `value` as a list the way Python's `list(value)` would (dicts give their keys). */
export function toList(value: unknown): unknown[] {
  tick();
  const v = unwrap(value);
  if (v === undefined) return [];
  if (typeof v === 'string') return [...v];
  if (Array.isArray(v)) return [...(v as unknown[])];
  if (isMapping(v)) return Object.keys(v);
  throw new TemplateError('render', `'${pyTypeName(v)}' object is not iterable`);
}

function attrGetter(attribute: unknown, defaultValue?: unknown, lower = false): (item: unknown) => unknown {
  const parts =
    attribute === null || attribute === undefined
      ? []
      : typeof attribute === 'number'
        ? [attribute]
        : pyStr(attribute)
            .split('.')
            .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return (item) => {
    let value = item;
    for (const part of parts) {
      value = memberLookup(value, part);
      if (value === undefined && defaultValue !== undefined && defaultValue !== null) value = defaultValue;
    }
    const v = unwrap(value);
    return lower && typeof v === 'string' ? v.toLowerCase() : v;
  };
}

/** Returns a string equal for values Python's `==` and hash treat as equal (1, 1.0 and True; equal lists). */
function hashKey(value: unknown): string {
  const v = unwrap(value);
  if (typeof v === 'number' || typeof v === 'boolean') return `n:${Number(v)}`;
  if (typeof v === 'string') return `s:${v}`;
  if (Array.isArray(v)) return `l:[${v.map(hashKey).join(',')}]`;
  if (isMapping(v)) {
    const keys = Object.keys(v).sort();
    return `d:{${keys.map((k) => `${JSON.stringify(k)}:${hashKey(v[k])}`).join(',')}}`;
  }
  return `o:${pyRepr(v)}`;
}

function sortKeyed(items: unknown[], key: (item: unknown) => unknown, reverse: boolean): unknown[] {
  const keyed = items.map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => pyCompare(a.key, b.key) * (reverse ? -1 : 1));
  return keyed.map((k) => k.item);
}

function aggregate(name: 'min' | 'max', value: unknown, args: unknown[]): unknown {
  const p = bindArgs(
    name,
    [
      ['case_sensitive', false],
      ['attribute', null],
    ],
    args,
  );
  const items = toList(value);
  if (items.length === 0) return undefined;
  const key = attrGetter(p.attribute, undefined, !pyTruthy(p.case_sensitive));
  return items.reduce((best, item) => {
    const c = pyCompare(key(item), key(best));
    return (name === 'min' ? c < 0 : c > 0) ? item : best;
  });
}

function selectOrReject(host: FilterHost, value: unknown, args: unknown[], keep: boolean, byAttribute: boolean) {
  const { positional, kwargs } = splitArgs(args);
  const [first, ...rest] = positional;
  const getter = byAttribute ? attrGetter(first) : (item: unknown) => item;
  const [testName, ...testArgs] = byAttribute ? rest : positional;
  let check: (item: unknown) => boolean = pyTruthy;
  if (testName !== undefined) {
    const test = host.test(pyStr(testName));
    if (!test) throw new TemplateError('render', `No test named '${pyStr(testName)}'`);
    check = (item) => test(item, ...testArgs, ...(Object.keys(kwargs).length ? [kwargs] : []));
  }
  return toList(value).filter((item) => check(getter(item)) === keep);
}

/** Returns the collection filters; `host` resolves filter and test names for map/select/reject. */
export function collectionFilters(host: FilterHost): Record<string, FilterFunction> {
  const length: FilterFunction = (value) => {
    const v = unwrap(value);
    if (v === undefined) return 0;
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (isMapping(v)) return Object.keys(v).length;
    throw new TemplateError('render', `object of type '${pyTypeName(v)}' has no len()`);
  };
  return {
    length,
    count: length,
    list: (value) => toList(value),
    first: (value) => toList(value)[0],
    last: (value) => {
      const items = toList(value);
      return items[items.length - 1];
    },
    random: (value) => {
      const items = toList(value);
      return items[Math.floor(Math.random() * items.length)];
    },
    join: (value, ...args) => {
      const p = bindArgs(
        'join',
        [
          ['d', ''],
          ['attribute', null],
        ],
        args,
      );
      const getter = attrGetter(p.attribute);
      return toList(value)
        .map((item) => pyStr(getter(item)))
        .join(pyStr(p.d));
    },
    sum: (value, ...args) => {
      const p = bindArgs(
        'sum',
        [
          ['attribute', null],
          ['start', 0],
        ],
        args,
      );
      const getter = attrGetter(p.attribute);
      return toList(value).reduce<unknown>((total, item) => {
        const [a, b] = [unwrap(total), getter(item)];
        const ok = (x: unknown) => typeof x === 'number' || typeof x === 'boolean';
        if (!ok(a) || !ok(b)) {
          throw new TemplateError(
            'render',
            `unsupported operand type(s) for +: '${pyTypeName(a)}' and '${pyTypeName(b)}'`,
          );
        }
        return Number(a) + Number(b);
      }, p.start);
    },
    min: (value, ...args) => aggregate('min', value, args),
    max: (value, ...args) => aggregate('max', value, args),
    unique: (value, ...args) => {
      const p = bindArgs(
        'unique',
        [
          ['case_sensitive', false],
          ['attribute', null],
        ],
        args,
      );
      const key = attrGetter(p.attribute, undefined, !pyTruthy(p.case_sensitive));
      const seen = new Set<string>();
      return toList(value).filter((item) => {
        const k = hashKey(key(item));
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    },
    sort: (value, ...args) => {
      const p = bindArgs(
        'sort',
        [
          ['reverse', false],
          ['case_sensitive', false],
          ['attribute', null],
        ],
        args,
      );
      const lower = !pyTruthy(p.case_sensitive);
      const attributes =
        p.attribute === null
          ? [null]
          : pyStr(p.attribute)
              .split(',')
              .map((a) => a.trim());
      const getters = attributes.map((a) => attrGetter(a, undefined, lower));
      return sortKeyed(toList(value), (item) => getters.map((g) => g(item)), pyTruthy(p.reverse));
    },
    reverse: (value) => {
      const v = unwrap(value);
      if (typeof v === 'string') return [...v].reverse().join('');
      return toList(v).reverse();
    },
    map: (value, ...args) => {
      const { positional, kwargs } = splitArgs(args);
      if (positional.length === 0 && Object.hasOwn(kwargs, 'attribute')) {
        const getter = attrGetter(kwargs.attribute, kwargs.default);
        return toList(value).map(getter);
      }
      const [name, ...rest] = positional;
      const filter = host.filter(pyStr(name));
      if (!filter) throw new TemplateError('render', `No filter named '${pyStr(name)}'`);
      const extra = Object.keys(kwargs).length ? [...rest, kwargs] : rest;
      return toList(value).map((item) => filter(item, ...extra));
    },
    // Jinja's attr() reads attributes only, never items, so data (dicts, lists) has none; namespaces do.
    attr: (value, ...args) => {
      const name = bindArgs('attr', [['name']], args).name;
      const v = unwrap(value);
      return v !== null && typeof v === 'object' && !Array.isArray(v) && !isMapping(v)
        ? memberLookup(v, name)
        : undefined;
    },
    select: (value, ...args) => selectOrReject(host, value, args, true, false),
    reject: (value, ...args) => selectOrReject(host, value, args, false, false),
    selectattr: (value, ...args) => selectOrReject(host, value, args, true, true),
    rejectattr: (value, ...args) => selectOrReject(host, value, args, false, true),
    batch: (value, ...args) => {
      const p = bindArgs('batch', [['linecount'], ['fill_with', null]], args);
      const size = Math.trunc(Number(p.linecount));
      if (!(size >= 1)) throw new TemplateError('render', 'batch size must be at least 1');
      if (p.fill_with !== null) checkSize(size);
      const items = toList(value);
      const out: unknown[][] = [];
      for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
      const tail = out[out.length - 1];
      if (tail && p.fill_with !== null && tail.length < size)
        tail.push(...Array<unknown>(size - tail.length).fill(p.fill_with));
      return out;
    },
    slice: (value, ...args) => {
      const p = bindArgs('slice', [['slices'], ['fill_with', null]], args);
      const items = toList(value);
      const slices = Math.trunc(Number(p.slices));
      if (!(slices >= 1)) throw new TemplateError('render', 'slices must be at least 1');
      checkSize(slices);
      const per = Math.floor(items.length / slices);
      const extra = items.length % slices;
      const out: unknown[][] = [];
      let offset = 0;
      for (let n = 0; n < slices; n++) {
        const start = offset + n * per;
        if (n < extra) offset += 1;
        const part = items.slice(start, offset + (n + 1) * per);
        if (p.fill_with !== null && n >= extra) part.push(p.fill_with);
        out.push(part);
      }
      return out;
    },
    items: (value) => {
      const v = unwrap(value);
      if (v === undefined) return [];
      if (!isMapping(v)) throw new TemplateError('render', 'Can only get item pairs from a mapping.');
      return Object.entries(v).map(makeTuple);
    },
    dictsort: (value, ...args) => {
      const p = bindArgs(
        'dictsort',
        [
          ['case_sensitive', false],
          ['by', 'key'],
          ['reverse', false],
        ],
        args,
      );
      const v = unwrap(value);
      if (!isMapping(v)) throw new TemplateError('render', 'dictsort expects a mapping');
      if (p.by !== 'key' && p.by !== 'value') {
        throw new TemplateError('render', 'You can only sort by either "key" or "value"');
      }
      const position = p.by === 'key' ? 0 : 1;
      const lower = !pyTruthy(p.case_sensitive);
      const key = (pair: unknown) => {
        const item = unwrap((pair as unknown[])[position]);
        return lower && typeof item === 'string' ? item.toLowerCase() : item;
      };
      return sortKeyed(Object.entries(v).map(makeTuple), key, pyTruthy(p.reverse));
    },
    groupby: (value, ...args) => {
      const p = bindArgs('groupby', [['attribute'], ['default', null], ['case_sensitive', false]], args);
      const lower = !pyTruthy(p.case_sensitive);
      const key = attrGetter(p.attribute, p.default, lower);
      const display = attrGetter(p.attribute, p.default);
      const groups: unknown[][] = [];
      for (const item of sortKeyed(toList(value), key, false)) {
        const last = groups[groups.length - 1];
        if (last && pyEq(key((last[1] as unknown[])[0]), key(item))) (last[1] as unknown[]).push(item);
        else groups.push([undefined, [item]]);
      }
      return groups.map(([, items]) => {
        const list = items as unknown[];
        const group = makeTuple([display(list[0]), list]);
        // Jinja's groups are namedtuples: `group.grouper` and `group.list` work too.
        Object.defineProperty(group, 'grouper', { value: group[0], enumerable: false });
        Object.defineProperty(group, 'list', { value: list, enumerable: false });
        return group;
      });
    },
  };
}
