// Jinja's tests (`{% if x is defined %}`, `x is divisibleby(3)`), with Python's notion of types: JSON numbers
// are ints when integral, dicts are plain objects, and `none` is null.
import { bindArgs } from './arguments';
import type { TestFunction } from './filters-collections';
import { isApprovedCallable } from './members';
import { isMapping, isPyInt, pyCompare, pyEq, pyStr, unwrap } from './python';

function isNumber(v: unknown): v is number {
  return typeof v === 'number';
}

function compare(name: string, check: (c: number) => boolean): TestFunction {
  return (value, ...args) => check(pyCompare(value, bindArgs(name, [['other']], args).other));
}

/** Returns Jinja's built-in tests, keyed by name (aliases included). */
export function jinjaTests(host: {
  hasFilter(name: string): boolean;
  hasTest(name: string): boolean;
}): Record<string, TestFunction> {
  const eq: TestFunction = (value, ...args) => pyEq(value, bindArgs('eq', [['other']], args).other);
  const tests: Record<string, TestFunction> = {
    defined: (value) => value !== undefined,
    undefined: (value) => value === undefined,
    none: (value) => unwrap(value) === null,
    boolean: (value) => typeof unwrap(value) === 'boolean',
    true: (value) => unwrap(value) === true,
    false: (value) => unwrap(value) === false,
    integer: (value) => isNumber(unwrap(value)) && isPyInt(unwrap(value) as number),
    float: (value) => isNumber(unwrap(value)) && !isPyInt(unwrap(value) as number),
    number: (value) => isNumber(unwrap(value)),
    string: (value) => typeof unwrap(value) === 'string',
    mapping: (value) => isMapping(unwrap(value)),
    sequence: (value) => typeof unwrap(value) === 'string' || Array.isArray(unwrap(value)) || isMapping(unwrap(value)),
    iterable: (value) =>
      value === undefined ||
      typeof unwrap(value) === 'string' ||
      Array.isArray(unwrap(value)) ||
      isMapping(unwrap(value)),
    callable: (value) => isApprovedCallable(value),
    sameas: (value, ...args) => unwrap(value) === unwrap(bindArgs('sameas', [['other']], args).other),
    escaped: () => false,
    in: (value, ...args) => {
      const seq = unwrap(bindArgs('in', [['seq']], args).seq);
      if (typeof seq === 'string') return typeof unwrap(value) === 'string' && seq.includes(unwrap(value) as string);
      if (Array.isArray(seq)) return seq.some((x) => pyEq(x, value));
      return isMapping(seq) && Object.hasOwn(seq, pyStr(value));
    },
    eq,
    ne: (value, ...args) => !eq(value, ...args),
    lt: compare('lt', (c) => c < 0),
    le: compare('le', (c) => c <= 0),
    gt: compare('gt', (c) => c > 0),
    ge: compare('ge', (c) => c >= 0),
    divisibleby: (value, ...args) => {
      const n = Number(bindArgs('divisibleby', [['num']], args).num);
      return Number(unwrap(value)) % n === 0;
    },
    even: (value) => Number(unwrap(value)) % 2 === 0,
    odd: (value) => Math.abs(Number(unwrap(value)) % 2) === 1,
    lower: (value) => ((s) => s === s.toLowerCase())(pyStr(value)),
    upper: (value) => ((s) => s === s.toUpperCase())(pyStr(value)),
    filter: (value) => host.hasFilter(pyStr(value)),
    test: (value) => host.hasTest(pyStr(value)),
  };
  return {
    ...tests,
    equalto: eq,
    '==': eq,
    '!=': tests.ne!,
    lessthan: tests.lt!,
    '<': tests.lt!,
    '<=': tests.le!,
    greaterthan: tests.gt!,
    '>': tests.gt!,
    '>=': tests.ge!,
    null: tests.none!,
    None: tests.none!,
    True: tests.true!,
    False: tests.false!,
  };
}
