// The functions a template can call by name, with Jinja's behaviour: range (capped at 100 items as in Prefect),
// dict, namespace, cycler and joiner. nunjucks' own globals are replaced: its range has no cap and its cycler
// and joiner follow different conventions.
import { bindArgs, splitArgs } from './arguments';
import { TemplateError } from './errors';
import { MAX_RANGE } from './limits';
import { approveCallable, assertAllowedKey } from './members';
import { isMapping, pyTypeName } from './python';

/** Jinja's `namespace()`: the one object whose attributes a template may assign (`{% set ns.x = 1 %}`). */
export class Namespace {
  constructor(values: Record<string, unknown>) {
    for (const [key, value] of Object.entries(values)) this.set(key, value);
  }

  /** Assigns an attribute; names are checked like any member. */
  set(key: string, value: unknown): void {
    assertAllowedKey(key);
    Object.defineProperty(this, key, { value, enumerable: true, writable: true, configurable: true });
  }
}

/** Jinja's `cycler(*items)`: `next()` returns the current item and advances; `current` is the item now. */
export class Cycler {
  current: unknown;
  private position = 0;

  constructor(private readonly items: readonly unknown[]) {
    if (items.length === 0) throw new TemplateError('render', 'cycler() needs at least one item');
    this.current = items[0];
  }

  next(): unknown {
    const item = this.current;
    this.position = (this.position + 1) % this.items.length;
    this.current = this.items[this.position];
    return item;
  }

  reset(): void {
    this.position = 0;
    this.current = this.items[0];
  }
}

function toRangeInt(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TemplateError('render', `'${pyTypeName(value)}' object cannot be interpreted as an integer`);
  }
  return value;
}

/** Returns Python's `range(...)` as a list; more than 100 items is a `limit` error, as in Prefect. */
export function range(...args: unknown[]): number[] {
  const { positional } = splitArgs(args);
  if (positional.length === 0 || positional.length > 3) {
    throw new TemplateError('render', `range expected 1 to 3 arguments, got ${positional.length}`);
  }
  const [a, b, c] = positional.map(toRangeInt);
  const [start, stop, step] = b === undefined ? [0, a!, 1] : [a!, b, c ?? 1];
  if (step === 0) throw new TemplateError('render', 'range() arg 3 must not be zero');
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > MAX_RANGE) {
    throw new TemplateError('limit', `Range too big. The sandbox blocks ranges larger than ${MAX_RANGE} items.`);
  }
  return Array.from({ length }, (_, i) => start + i * step);
}

/** Returns the globals every template sees, each approved for calling. */
export function templateGlobals(): Record<string, unknown> {
  const globals = Object.create(null) as Record<string, unknown>;
  globals.range = approveCallable(range);
  globals.dict = approveCallable((...args: unknown[]) => {
    const { positional, kwargs } = splitArgs(args);
    const [source] = positional;
    const result: Record<string, unknown> = isMapping(source) ? { ...source } : {};
    for (const [key, value] of Object.entries(kwargs)) result[key] = value;
    return result;
  });
  globals.namespace = approveCallable((...args: unknown[]) => {
    const { positional, kwargs } = splitArgs(args);
    const [source] = positional;
    return new Namespace({ ...(isMapping(source) ? source : {}), ...kwargs });
  });
  globals.cycler = approveCallable((...args: unknown[]) => new Cycler(splitArgs(args).positional));
  globals.joiner = approveCallable((...args: unknown[]) => {
    const { sep } = bindArgs('joiner', [['sep', ', ']], args);
    let used = false;
    return approveCallable(() => {
      if (!used) {
        used = true;
        return '';
      }
      return sep;
    });
  });
  return globals;
}
