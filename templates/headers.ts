// Request headers as templates see them: a read-only mapping whose keys are matched case-insensitively
// (`headers['Content-Type']` and `headers['content-type']` are the same header), iterated and serialised with
// lower-case names, like the headers object Prefect Cloud gives its webhook templates.

/** Raw headers as Node and Koa hand them over. */
export type RawHeaders = Record<string, string | string[] | undefined>;

function key(prop: string | symbol): string | symbol {
  return typeof prop === 'string' ? prop.toLowerCase() : prop;
}

/**
 * Returns a case-insensitive, read-only view of `raw`: repeated headers are joined with ", " and undefined ones
 * left out. Own keys are lower-case, so `Object.keys`, iteration and `tojson` show lower-case names.
 */
export function caseInsensitiveHeaders(raw: RawHeaders): Record<string, string> {
  const target: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(', ') : value;
    target[lower] = Object.hasOwn(target, lower) ? `${target[lower]}, ${joined}` : joined;
  }
  return new Proxy(target, {
    get: (t, prop): unknown =>
      Object.hasOwn(t, key(prop)) ? t[key(prop) as string] : (Reflect.get(t, prop) as unknown),
    has: (t, prop) => Object.hasOwn(t, key(prop)) || Reflect.has(t, prop),
    getOwnPropertyDescriptor: (t, prop) => Reflect.getOwnPropertyDescriptor(t, key(prop)),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
