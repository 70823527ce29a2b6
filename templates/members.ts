// What a template may read from a value. Data is only ever its own properties (never the prototype chain, so no
// path reaches `constructor` → Function); functions expose nothing; a fixed set of names is refused outright.
import { TemplateError } from './errors';
import { tick } from './limits';
import { unwrap } from './python';

// Names that lead out of the data into the JS object model. Anything starting with "__" is refused as well.
const FORBIDDEN_NAMES = new Set(['constructor', 'prototype', '__proto__']);

/** Returns true for member and variable names no template may use (`constructor`, `prototype`, `__*`). */
export function isForbiddenName(name: string): boolean {
  return FORBIDDEN_NAMES.has(name) || name.startsWith('__');
}

/** Returns the `security` TemplateError for a refused access. */
export function securityError(message: string): TemplateError {
  return new TemplateError('security', message);
}

// The only functions a template may call: its own macros and the globals and helpers the environment defines.
const approved = new WeakSet<CallableFunction>();

/** Allows templates to call `fn` (a global, a macro, a joiner). Returns `fn`. */
export function approveCallable<T extends CallableFunction>(fn: T): T {
  approved.add(fn);
  return fn;
}

/** Returns true when templates may call `fn`. */
export function isApprovedCallable(value: unknown): value is (...args: unknown[]) => unknown {
  return typeof value === 'function' && approved.has(value);
}

/** Throws a `security` TemplateError when `key` is a forbidden name. */
export function assertAllowedKey(key: unknown): void {
  if (typeof key === 'string' && isForbiddenName(key)) {
    throw securityError(`access to '${key}' is not allowed in templates`);
  }
}

/**
 * Returns `target[key]` as a template sees it (`x.key`, `x[key]`): own properties of objects, items of lists and
 * strings (negative indexes count from the end, as in Python), `length` of lists and strings; undefined otherwise,
 * so missing members chain (`body.missing.deeper` is empty). Functions have no members at all.
 */
export function memberLookup(target: unknown, key: unknown): unknown {
  tick();
  assertAllowedKey(key);
  const obj = unwrap(target);
  if (obj === undefined || obj === null) return undefined;
  if (typeof obj === 'function') throw securityError('functions have no attributes in templates');
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  if (typeof obj === 'string' || Array.isArray(obj)) {
    if (key === 'length') return obj.length;
    // Own named members of lists exist only on lists the filters build (groupby's `grouper` and `list`).
    if (typeof key === 'string')
      return Array.isArray(obj) && Object.hasOwn(obj, key) && !/^\d+$/.test(key) ? obj[key as never] : undefined;
    if (!Number.isInteger(key)) return undefined;
    const items: ArrayLike<unknown> = typeof obj === 'string' && /[\uD800-\uDFFF]/.test(obj) ? [...obj] : obj;
    return items[key < 0 ? items.length + key : key];
  }
  if (typeof obj !== 'object' || !Object.hasOwn(obj, key)) return undefined;
  const value: unknown = (obj as Record<string | number, unknown>)[key];
  return typeof value === 'function' && !approved.has(value) ? undefined : value;
}

function sliceIndex(value: unknown, length: number, fallback: number, clampLow: number, clampHigh: number): number {
  if (value === null || value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TemplateError('render', 'slice indices must be integers or None');
  }
  const index = value < 0 ? value + length : value;
  return Math.min(Math.max(index, clampLow), clampHigh);
}

/** Returns Python's `target[start:stop:step]` for lists and strings. */
export function sliceLookup(target: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  tick();
  const obj = unwrap(target);
  if (obj === undefined) return undefined;
  if (typeof obj !== 'string' && !Array.isArray(obj)) {
    throw new TemplateError('render', 'only lists and strings can be sliced');
  }
  const items: unknown[] = typeof obj === 'string' ? [...obj] : obj;
  const by = step === null || step === undefined ? 1 : step;
  if (typeof by !== 'number' || !Number.isInteger(by) || by === 0) {
    throw new TemplateError('render', 'slice step must be a non-zero integer');
  }
  const n = items.length;
  const from = by > 0 ? sliceIndex(start, n, 0, 0, n) : sliceIndex(start, n, n - 1, -1, n - 1);
  const to = by > 0 ? sliceIndex(stop, n, n, 0, n) : sliceIndex(stop, n, -1, -1, n - 1);
  const picked: unknown[] = [];
  for (let i = from; by > 0 ? i < to : i > to; i += by) picked.push(items[i]);
  return typeof obj === 'string' ? picked.join('') : picked;
}
