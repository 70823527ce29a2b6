// The runtime compiled templates run against. nunjucks' own runtime reads any property (so `x.constructor` reaches
// Function) and calls any function; this one is passed to every compiled template instead of it, and together with
// the compile-time checks (ast-rules.ts, compile.ts) it is the sandbox. It also gives operators Python's semantics.
import { makeKeywordArgs } from './arguments';
import { TemplateError } from './errors';
import { Namespace } from './globals';
import { checkSize, produce, tick } from './limits';
import { callBuiltinMethod } from './methods';
import {
  approveCallable,
  assertAllowedKey,
  isApprovedCallable,
  memberLookup,
  securityError,
  sliceLookup,
} from './members';
import { runtime as nunjucksRuntime } from './nunjucks-internals';
import {
  isMapping,
  isTuple,
  makeTuple,
  pyCompare,
  pyEq,
  pyStr,
  pyTruthy,
  pyTypeName,
  toPyFloat,
  unwrap,
} from './python';
import { percentFormat } from './python-format';

/** A variable scope at render time; mirrors nunjucks' Frame, with prototype-free storage and a tick per write. */
export class SandboxFrame {
  readonly variables = Object.create(null) as Record<string, unknown>;
  topLevel = false;

  constructor(
    readonly parent?: SandboxFrame,
    private readonly isolateWrites = false,
  ) {}

  set(name: string, value: unknown, resolveUp?: boolean): void {
    tick();
    const parts = name.split('.');
    if (resolveUp) {
      const frame = this.resolve(parts[0]!, true);
      if (frame) return frame.set(name, value);
    }
    let obj = this.variables;
    for (const part of parts.slice(0, -1)) obj = (obj[part] ??= Object.create(null)) as Record<string, unknown>;
    obj[parts[parts.length - 1]!] = value;
  }

  get(name: string): unknown {
    return this.variables[name] ?? null;
  }

  lookup(name: string): unknown {
    const value = this.variables[name];
    return value !== undefined ? value : this.parent?.lookup(name);
  }

  resolve(name: string, forWrite?: boolean): SandboxFrame | undefined {
    if (this.variables[name] !== undefined) return this;
    return (forWrite && this.isolateWrites ? undefined : this.parent)?.resolve(name);
  }

  // Frames pushed without arguments are for `for` loops and their iterations; isolating them gives Jinja's loop
  // scoping, where `{% set %}` inside a loop changes nothing outside it (namespace() is the way out).
  push(isolateWrites = true): SandboxFrame {
    return new SandboxFrame(this, isolateWrites);
  }

  pop(): SandboxFrame | undefined {
    return this.parent;
  }
}

/** A compiled template's entry point (nunjucks' `root`/`b_<block>` functions). */
export type RenderFunction = (
  env: unknown,
  context: SandboxContext,
  frame: SandboxFrame,
  runtime: typeof sandboxRuntime,
  cb: (error: unknown, output?: string) => void,
) => void;

/** The template's variables: a prototype-free copy of the caller's, then the environment's globals. */
export class SandboxContext {
  readonly ctx: Record<string, unknown>;

  constructor(
    variables: Record<string, unknown>,
    private readonly globals: Record<string, unknown>,
    private readonly blocks: Record<string, RenderFunction>,
  ) {
    this.ctx = Object.assign(Object.create(null) as Record<string, unknown>, variables);
  }

  lookup(name: string): unknown {
    if (Object.hasOwn(this.ctx, name)) return this.ctx[name];
    return Object.hasOwn(this.globals, name) ? this.globals[name] : undefined;
  }

  setVariable(name: string, value: unknown): void {
    this.ctx[name] = value;
  }

  getVariables(): Record<string, unknown> {
    return this.ctx;
  }

  addExport(): void {}

  getBlock(name: string): RenderFunction {
    const block = this.blocks[name];
    if (!block) throw new TemplateError('render', `unknown block "${name}"`);
    return block;
  }

  getSuper(): never {
    throw securityError('super() is not supported: templates cannot extend other templates');
  }
}

/** Converts anything thrown while rendering into a TemplateError, adding the 1-based position when known. */
export function toTemplateError(error: unknown, line?: number, column?: number): TemplateError {
  const where = { line, column };
  if (error instanceof TemplateError) return error.withDetails(where);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError && /call stack/i.test(message)) {
    return new TemplateError('limit', 'the template recursed too deeply', { ...where, cause: error });
  }
  if (error instanceof RangeError && /Invalid (string|array) length/.test(message)) {
    return new TemplateError('limit', 'the template built a value too large to hold', { ...where, cause: error });
  }
  return new TemplateError('render', message, { ...where, cause: error });
}

function numeric(a: unknown, b: unknown): [number, number] | undefined {
  const ok = (x: unknown) => typeof x === 'number' || typeof x === 'boolean';
  return ok(a) && ok(b) ? [Number(a), Number(b)] : undefined;
}

function operandError(op: string, a: unknown, b: unknown): TemplateError {
  return new TemplateError(
    'render',
    `unsupported operand type(s) for ${op}: '${pyTypeName(a)}' and '${pyTypeName(b)}'`,
  );
}

function divisor(b: number, message = 'division by zero'): number {
  if (b === 0) throw new TemplateError('render', message);
  return b;
}

function repeat(items: string | unknown[], times: number): string | unknown[] {
  const n = Math.max(0, Math.trunc(times));
  checkSize(items.length * n);
  return typeof items === 'string' ? items.repeat(n) : Array.from({ length: n }, () => items).flat();
}

/** Python's `%` on numbers: the result takes the divisor's sign. */
function pyMod(a: number, b: number): number {
  const m = a % divisor(b, 'integer division or modulo by zero');
  return m !== 0 && m < 0 !== b < 0 ? m + b : m;
}

/**
 * The runtime object handed to compiled templates. Names used by nunjucks' generated code keep their meaning
 * (with safe implementations); the rest are called by the code compile.ts generates.
 */
export const sandboxRuntime = {
  Frame: SandboxFrame,
  SafeString: nunjucksRuntime.SafeString,
  isArray: (value: unknown): value is unknown[] => Array.isArray(value),
  keys: (value: object): string[] => Object.keys(value),
  fromIterator: (value: unknown): unknown => value,
  markSafe: (value: unknown): unknown => value,
  makeKeywordArgs,
  handleError: (error: unknown, lineno: number, colno: number): TemplateError =>
    toTemplateError(error, lineno + 1, colno + 1),

  makeMacro(argNames: string[], kwargNames: string[], body: (...args: unknown[]) => unknown): CallableFunction {
    return approveCallable(nunjucksRuntime.makeMacro(argNames, kwargNames, body));
  },

  suppressValue(value: unknown, autoescape: boolean): string {
    const text = pyStr(value);
    produce(text.length);
    return autoescape ? text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`) : text;
  },

  contextOrFrameLookup(context: SandboxContext, frame: SandboxFrame, name: string): unknown {
    const value = frame.lookup(name);
    return value !== undefined ? value : context.lookup(name);
  },

  memberLookup,
  sliceLookup,

  callWrap(fn: unknown, name: string, context: unknown, args: unknown[]): unknown {
    tick();
    if (fn === undefined || fn === null) throw new TemplateError('render', `'${name}' is undefined`);
    if (!isApprovedCallable(fn)) {
      if (typeof fn !== 'function') throw new TemplateError('render', `'${pyTypeName(fn)}' object is not callable`);
      throw securityError(`calling '${name}' is not allowed in templates`);
    }
    return fn.apply(context, args);
  },

  /** Applies a filter; its errors carry the filter's position (0-based lineno/colno from the compiler). */
  callFilter(
    filter: (...args: unknown[]) => unknown,
    context: unknown,
    lineno: number,
    colno: number,
    args: unknown[],
  ): unknown {
    try {
      return filter.apply(context, args);
    } catch (error) {
      throw toTemplateError(error, lineno + 1, colno + 1);
    }
  },

  callMethod(target: unknown, key: unknown, name: string, args: unknown[]): unknown {
    tick();
    assertAllowedKey(key);
    const obj = unwrap(target);
    if (obj === undefined || obj === null) {
      throw new TemplateError('render', `'${name}' is undefined: cannot call a method of ${pyStr(obj) || 'Undefined'}`);
    }
    if (typeof obj === 'function') throw securityError('functions have no attributes in templates');
    if (typeof key === 'string') {
      const builtin = callBuiltinMethod(obj, key, args);
      if (builtin.found) return builtin.value;
    }
    const member = memberLookup(obj, key);
    if (isApprovedCallable(member)) return member(...args);
    if (member === undefined) {
      throw new TemplateError('render', `'${pyTypeName(obj)}' object has no attribute '${pyStr(key)}'`);
    }
    throw new TemplateError('render', `'${pyTypeName(member)}' object is not callable`);
  },

  iterate(value: unknown, names: number): unknown[] {
    tick();
    const v = unwrap(value);
    if (v === undefined) return [];
    if (typeof v === 'string') return [...v];
    if (Array.isArray(v)) return v;
    if (isMapping(v) || v instanceof Namespace) return names > 1 ? Object.entries(v) : Object.keys(v);
    throw new TemplateError('render', `'${pyTypeName(v)}' object is not iterable`);
  },

  /** Python's unpacking for `{% set a, b = value %}`: exactly `count` items. */
  unpack(value: unknown, count: number): unknown[] {
    const items = sandboxRuntime.iterate(value, 1);
    if (items.length !== count) {
      const problem = items.length > count ? 'too many values' : 'not enough values';
      throw new TemplateError('render', `${problem} to unpack (expected ${count}, got ${items.length})`);
    }
    return items;
  },

  inOperator(key: unknown, container: unknown): boolean {
    const c = unwrap(container);
    const k = unwrap(key);
    if (c === undefined) return false;
    if (typeof c === 'string') {
      if (typeof k !== 'string') throw new TemplateError('render', "'in <string>' requires string as left operand");
      return c.includes(k);
    }
    if (Array.isArray(c)) return c.some((item) => pyEq(item, k));
    if (isMapping(c)) return (typeof k === 'string' || typeof k === 'number') && Object.hasOwn(c, String(k));
    throw new TemplateError('render', `argument of type '${pyTypeName(c)}' is not iterable`);
  },

  truthy: pyTruthy,
  not: (value: unknown): boolean => !pyTruthy(value),
  and: (left: unknown, right: () => unknown): unknown => (pyTruthy(left) ? right() : left),
  or: (left: unknown, right: () => unknown): unknown => (pyTruthy(left) ? left : right()),
  tuple: makeTuple,

  /** Python's chained comparison: `a < b <= c` is `a < b and b <= c`. */
  compare(first: unknown, ops: [string, unknown][]): boolean {
    let left = first;
    for (const [op, right] of ops) {
      if (op === '==' || op === '!=') {
        if (pyEq(left, right) !== (op === '==')) return false;
      } else {
        const c = pyCompare(left, right);
        if (!(op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0)) return false;
      }
      left = right;
    }
    return true;
  },

  add(left: unknown, right: unknown): unknown {
    const [a, b] = [unwrap(left), unwrap(right)];
    const nums = numeric(a, b);
    if (nums) return nums[0] + nums[1];
    if (typeof a === 'string' && typeof b === 'string') {
      checkSize(a.length + b.length);
      return a + b;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      checkSize(a.length + b.length);
      return [...(a as unknown[]), ...(b as unknown[])];
    }
    throw operandError('+', a, b);
  },

  concat(left: unknown, right: unknown): string {
    const [a, b] = [pyStr(left), pyStr(right)];
    checkSize(a.length + b.length);
    return a + b;
  },

  sub(left: unknown, right: unknown): number {
    const nums = numeric(unwrap(left), unwrap(right));
    if (!nums) throw operandError('-', unwrap(left), unwrap(right));
    return nums[0] - nums[1];
  },

  mul(left: unknown, right: unknown): unknown {
    const [a, b] = [unwrap(left), unwrap(right)];
    const nums = numeric(a, b);
    if (nums) return nums[0] * nums[1];
    if ((typeof a === 'string' || Array.isArray(a)) && typeof b === 'number') return repeat(a, b);
    if ((typeof b === 'string' || Array.isArray(b)) && typeof a === 'number') return repeat(b, a);
    throw operandError('*', a, b);
  },

  div(left: unknown, right: unknown): number {
    const nums = numeric(unwrap(left), unwrap(right));
    if (!nums) throw operandError('/', unwrap(left), unwrap(right));
    return nums[0] / divisor(nums[1]);
  },

  floorDiv(left: unknown, right: unknown): number {
    const nums = numeric(unwrap(left), unwrap(right));
    if (!nums) throw operandError('//', unwrap(left), unwrap(right));
    return Math.floor(nums[0] / divisor(nums[1], 'integer division or modulo by zero'));
  },

  mod(left: unknown, right: unknown): unknown {
    const [a, b] = [unwrap(left), unwrap(right)];
    if (typeof a === 'string') {
      const text = percentFormat(a, b, isTuple(b));
      checkSize(text.length);
      return text;
    }
    const nums = numeric(a, b);
    if (!nums) throw operandError('%', a, b);
    return pyMod(nums[0], nums[1]);
  },

  neg(value: unknown): number {
    const n = toPyFloat(typeof unwrap(value) === 'string' ? undefined : value);
    if (n === undefined) throw new TemplateError('render', `bad operand type for unary -: '${pyTypeName(value)}'`);
    return -n;
  },

  nsSet(target: unknown, key: string, value: unknown): void {
    if (!(target instanceof Namespace)) {
      throw securityError(`cannot assign attribute '${key}' on a non-namespace object`);
    }
    target.set(key, value);
  },
};
