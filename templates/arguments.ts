// Python calling conventions for filters, tests, globals and methods: nunjucks passes keyword arguments as one
// trailing object, which bindArgs() matches against a Python-style signature with defaults.
import { TemplateError } from './errors';

// Keyword-argument objects made by compiled templates. A WeakSet, not a marker key, so data from a request body
// can never pose as keyword arguments.
const keywordArgs = new WeakSet<object>();

/** Marks `obj` as the keyword arguments of a call (the runtime's makeKeywordArgs). */
export function makeKeywordArgs(obj: Record<string, unknown>): Record<string, unknown> {
  // nunjucks' macro machinery recognises keyword arguments by this own property; keep it out of iteration.
  Object.defineProperty(obj, '__keywords', { value: true, enumerable: false });
  keywordArgs.add(obj);
  return obj;
}

/** Splits a call's arguments into positional ones and keyword ones. */
export function splitArgs(args: readonly unknown[]): { positional: unknown[]; kwargs: Record<string, unknown> } {
  const last = args[args.length - 1];
  if (typeof last === 'object' && last !== null && keywordArgs.has(last)) {
    return { positional: args.slice(0, -1), kwargs: { ...(last as Record<string, unknown>) } };
  }
  return { positional: [...args], kwargs: {} };
}

/** A Python-style parameter: its name and the default used when the caller omits it. */
export type Param = readonly [name: string, defaultValue?: unknown];

/**
 * Binds `args` to `params` like a Python call: positional first, then by keyword; missing ones take their default
 * (a param listed without a default is required). Throws a `render` TemplateError on a bad call.
 */
export function bindArgs(callee: string, params: readonly Param[], args: readonly unknown[]): Record<string, unknown> {
  const { positional, kwargs } = splitArgs(args);
  if (positional.length > params.length) {
    throw new TemplateError(
      'render',
      `${callee}() takes at most ${params.length} argument${params.length === 1 ? '' : 's'} (${positional.length} given)`,
    );
  }
  const bound: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  params.forEach(([name, defaultValue], i) => {
    if (i < positional.length) {
      if (Object.hasOwn(kwargs, name)) {
        throw new TemplateError('render', `${callee}() got multiple values for argument '${name}'`);
      }
      bound[name] = positional[i];
    } else if (Object.hasOwn(kwargs, name)) {
      bound[name] = kwargs[name];
    } else if (params[i]!.length > 1) {
      bound[name] = defaultValue;
    } else {
      throw new TemplateError('render', `${callee}() missing required argument '${name}'`);
    }
    delete kwargs[name];
  });
  const unexpected = Object.keys(kwargs)[0];
  if (unexpected !== undefined) {
    throw new TemplateError('render', `${callee}() got an unexpected keyword argument '${unexpected}'`);
  }
  return bound;
}
