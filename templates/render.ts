// The public API of the templates module: validateTemplate() when a template is saved, renderTemplate() when it
// is used. Compiled templates are cached by source text, so the webhook hot path compiles each template once.
import type { Environment } from 'nunjucks';
import type { CompiledTemplate } from './compile';
import { compileFor, createTemplateEnvironment, runCompiled } from './environment';
import { TemplateError } from './errors';
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS, outputTooLarge, withLimits } from './limits';
import { toTemplateError } from './sandbox';

export { TemplateError, type TemplateErrorKind } from './errors';

/** Per-render settings; every field is optional. */
export interface RenderOptions {
  /** Wall-clock budget for the render (default 1000 ms); exceeding it is a `limit` TemplateError. */
  timeoutMs?: number;
  /** Largest output in UTF-8 bytes (default 1 MiB); exceeding it is a `limit` TemplateError. */
  maxOutputBytes?: number;
  /** "Now" for the time filters (default: the real clock). */
  now?: Date;
  /** The environment to render with (default: a shared one made by createTemplateEnvironment()). */
  environment?: Environment;
}

/** How many compiled templates each environment keeps (least recently used ones are dropped). */
export const TEMPLATE_CACHE_SIZE = 500;

// Compiled templates, or the error compiling failed with, per environment and by source text.
type Compiled = CompiledTemplate | TemplateError;
const caches = new WeakMap<Environment, Map<string, Compiled>>();
let sharedEnvironment: Environment | undefined;

function environmentOf(options: RenderOptions): Environment {
  return options.environment ?? (sharedEnvironment ??= createTemplateEnvironment());
}

function compiled(source: string, environment: Environment): CompiledTemplate {
  let cache = caches.get(environment);
  if (!cache) caches.set(environment, (cache = new Map<string, Compiled>()));
  let entry = cache.get(source);
  if (entry === undefined) {
    try {
      entry = compileFor(environment, source);
    } catch (error) {
      entry = toTemplateError(error).withDetails({ source });
    }
    if (cache.size >= TEMPLATE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  } else {
    cache.delete(source); // re-inserted below as the most recently used
  }
  cache.set(source, entry);
  if (entry instanceof TemplateError) throw entry;
  return entry;
}

/** Returns true when `source` contains template syntax; anything else renders as itself, as in Prefect. */
export function maybeTemplate(source: string): boolean {
  return source.includes('{{') || source.includes('{%');
}

/**
 * Checks a template when it is saved: parses and compiles it without rendering. Throws a TemplateError with
 * `kind` 'syntax' (and 1-based `line`/`column`) for syntax errors and unknown filters or tests, 'security' for
 * refused constructs (include, extends, import, names such as `__proto__`), 'limit' for more than 10 `for` loops
 * or loops nested more than 2 deep.
 */
export function validateTemplate(source: string, environment?: Environment): void {
  compiled(source, environmentOf({ environment }));
}

/**
 * Renders `source` with `context` in the sandbox and returns the text. Throws a TemplateError: 'syntax' or
 * 'security' as validateTemplate() would, 'render' when rendering fails (an error in a filter, calling something
 * undefined), 'security' for refused accesses, 'limit' when time, output size, range or recursion limits hit.
 */
export function renderTemplate(source: string, context: Record<string, unknown>, options: RenderOptions = {}): string {
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  let output: string;
  if (!maybeTemplate(source)) {
    output = source;
  } else {
    const environment = environmentOf(options);
    const template = compiled(source, environment);
    const limits = {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxOutputBytes,
      now: options.now ?? new Date(),
    };
    try {
      output = withLimits(limits, () => runCompiled(environment, template, context));
    } catch (error) {
      throw toTemplateError(error).withDetails({ source });
    }
  }
  if (output.length > maxOutputBytes || Buffer.byteLength(output, 'utf8') > maxOutputBytes) {
    throw outputTooLarge(maxOutputBytes).withDetails({ source });
  }
  return output;
}
