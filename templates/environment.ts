// The template environment: a nunjucks Environment configured like Prefect's user-template environment (Jinja
// filters and tests, humanize, Prefect's filters, from_cloud_event, capped range) and bound to the sandbox:
// it has no loaders, its render methods go through compile.ts and sandbox.ts, and it cannot load other templates.
import * as nunjucks from 'nunjucks';
import { fromCloudEvent } from './cloud-events';
import type { CompileRules } from './ast-rules';
import { compileTemplate, type CompiledTemplate } from './compile';
import { TemplateError } from './errors';
import { collectionFilters, type TestFunction } from './filters-collections';
import { stringFilters, type FilterFunction } from './filters';
import { templateGlobals } from './globals';
import { humanizeFilters } from './humanize';
import { jinjaTests } from './is-tests';
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS, tick, withLimits } from './limits';
import { approveCallable } from './members';
import { prefectFilters } from './prefect-filters';
import { SandboxContext, SandboxFrame, sandboxRuntime, toTemplateError } from './sandbox';

/** Settings of a template environment. */
export interface TemplateEnvironmentOptions {
  /** Base URL of the Prefect-compatible UI, for `ui_url` and `ui_resource_events_url` (empty strings without). */
  uiBaseUrl?: string;
}

interface Registry {
  filters: Record<string, FilterFunction>;
  tests: Record<string, TestFunction>;
  globals: Record<string, unknown>;
  rules: CompileRules;
}

const registries = new WeakMap<nunjucks.Environment, Registry>();

function registryOf(env: nunjucks.Environment): Registry {
  const registry = registries.get(env);
  if (!registry) throw new TypeError('not a template environment: create it with createTemplateEnvironment()');
  return registry;
}

function own<T>(table: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Wraps a filter so that each call counts against the render's time budget. */
function budgeted(fn: FilterFunction): FilterFunction {
  return (value, ...args) => {
    tick();
    return fn(value, ...args);
  };
}

/**
 * Returns a new environment for user templates: autoescape off (output is JSON, not HTML), undefined values
 * render empty and chain (`{{ body.missing.deeper }}` is ''), `include`/`extends`/`import` are refused, and
 * `renderString` renders in the sandbox with the default limits.
 */
export function createTemplateEnvironment(options: TemplateEnvironmentOptions = {}): nunjucks.Environment {
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
  const filters = Object.create(null) as Record<string, FilterFunction>;
  const tests = Object.create(null) as Record<string, TestFunction>;
  const globals = templateGlobals();
  const rules: CompileRules = {
    hasFilter: (name) => own(filters, name) !== undefined,
    hasTest: (name) => own(tests, name) !== undefined,
  };
  const host = { filter: (name: string) => own(filters, name), test: (name: string) => own(tests, name) };
  const builtins: Record<string, FilterFunction> = {
    ...stringFilters(),
    ...collectionFilters(host),
    ...humanizeFilters(),
    ...prefectFilters(options.uiBaseUrl),
    from_cloud_event: fromCloudEvent,
  };
  for (const [name, fn] of Object.entries(builtins)) filters[name] = budgeted(fn);
  Object.assign(tests, jinjaTests(rules));
  registries.set(env, { filters, tests, globals, rules });

  // nunjucks keeps its defaults in `globals`; replace them so that nothing else can see them. Its own compile
  // path (nunjucks.compile, new Template(src, env)) would bypass the sandbox, so a preprocessor refuses it.
  Object.assign(env, {
    globals,
    extensionsList: [
      {
        preprocess(): never {
          throw new TemplateError('security', 'compile templates with templates/render.ts, not with nunjucks directly');
        },
      },
    ],
    getFilter(name: string): FilterFunction {
      const fn = own(filters, name);
      if (!fn) throw new TemplateError('syntax', `no filter named '${name}'`);
      return fn;
    },
    getTest(name: string): TestFunction {
      const fn = own(tests, name);
      if (!fn) throw new TemplateError('syntax', `no test named '${name}'`);
      return fn;
    },
    addFilter(name: string, fn: FilterFunction): nunjucks.Environment {
      filters[name] = budgeted(fn);
      return env;
    },
    addGlobal(name: string, value: unknown): nunjucks.Environment {
      globals[name] = typeof value === 'function' ? approveCallable(value) : value;
      return env;
    },
    getGlobal(name: string): unknown {
      return own(globals, name);
    },
    getTemplate(): never {
      throw new TemplateError('security', 'templates cannot load other templates');
    },
    render(): never {
      throw new TemplateError('security', 'templates cannot load other templates; render a string instead');
    },
    renderString(source: string, context: Record<string, unknown>): string {
      const limits = { timeoutMs: DEFAULT_TIMEOUT_MS, maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES, now: new Date() };
      return withLimits(limits, () => runCompiled(env, compileFor(env, source), context));
    },
  });
  return env;
}

/** Compiles `source` with `env`'s filters and tests; throws a TemplateError for syntax and refused constructs. */
export function compileFor(env: nunjucks.Environment, source: string): CompiledTemplate {
  return compileTemplate(source, registryOf(env).rules);
}

/**
 * Runs a compiled template in the sandbox and returns its output. Limits apply only inside withLimits()
 * (render.ts sets them); every failure is a TemplateError.
 */
export function runCompiled(
  env: nunjucks.Environment,
  compiled: CompiledTemplate,
  context: Record<string, unknown>,
): string {
  const { globals } = registryOf(env);
  const sandboxContext = new SandboxContext(context, globals, compiled.blocks);
  const frame = new SandboxFrame();
  frame.topLevel = true;
  let output: string | undefined;
  let failure: unknown;
  try {
    compiled.root(env, sandboxContext, frame, sandboxRuntime, (error, result) => {
      if (error) failure = error;
      else output = result;
    });
  } catch (error) {
    failure = error;
  }
  if (failure !== undefined) throw toTemplateError(failure);
  return output ?? '';
}
