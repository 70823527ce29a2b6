// Prefect's run-deployment parameter pipeline (§7.3): upgrade plain template strings to `__prefect_kind` objects,
// hydrate them (render, parse JSON, look up variables), overlay the deployment's defaults, check the parameter schema.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { validateTemplate } from '../../templates/render';

/** Why a parameter could not be hydrated; the names are Prefect's error classes. */
export type ParameterErrorKind =
  'InvalidJinja' | 'InvalidJSON' | 'WorkspaceVariableNotFound' | 'ValueNotFound' | 'TemplateNotFound';

/**
 * Thrown (or, when validating, left in place of the value) when a `__prefect_kind` object cannot be hydrated. The
 * message is Prefect's (`Invalid jinja: …`, `Invalid JSON: …`, `Variable 'x' not found in workspace.`, `Missing
 * 'value' key in __prefect object`); `path` names the parameter (`meta.items[0]`, '' for the whole object).
 */
export class ParameterError extends Error {
  constructor(
    readonly kind: ParameterErrorKind,
    readonly path: string,
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(parameterErrorMessage(kind, detail), options);
    this.name = 'ParameterError';
  }
}

function parameterErrorMessage(kind: ParameterErrorKind, detail: string | undefined): string {
  switch (kind) {
    case 'InvalidJinja':
      return detail ? `Invalid jinja: ${detail}` : 'Invalid jinja';
    case 'InvalidJSON':
      return detail ? `Invalid JSON: ${detail}` : 'Invalid JSON';
    case 'WorkspaceVariableNotFound':
      return `Variable '${detail ?? ''}' not found in workspace.`;
    case 'ValueNotFound':
      return "Missing 'value' key in __prefect object";
    case 'TemplateNotFound':
      return "Missing 'template' key in __prefect object";
  }
}

/** A template that passed validation and was not rendered (hydration without a renderer). */
export class ValidJinja {
  constructor(readonly template: string) {}
}

/** A workspace variable reference that was not looked up (hydration without `renderVariables`). */
export class WorkspaceVariable {
  constructor(readonly variableName: unknown) {}
}

/** What hydration leaves where it did not produce a value. */
export type Placeholder = ParameterError | ValidJinja | WorkspaceVariable;

/** Renders a template against a context; `renderTemplate` from templates/render.ts fits. Throws on failure. */
export type TemplateRenderer = (source: string, context: Record<string, unknown>) => string;
/** Checks a template without rendering it; throws on bad syntax or forbidden constructs. */
export type TemplateValidator = (source: string) => void;

/** How `hydrate` treats each kind (Prefect's HydrationContext). */
export interface HydrationContext {
  /** Renders `jinja` kinds; without it they become {@link ValidJinja} placeholders. */
  render?: TemplateRenderer;
  /** Checks `jinja` templates before use, as Prefect validates before it renders. */
  validate?: TemplateValidator;
  /** The template variables (event, firing, automation, …). */
  context?: Record<string, unknown>;
  /** Throw the first {@link ParameterError} instead of leaving it in place of the value. */
  raiseOnError?: boolean;
  /** Resolve `workspace_variable` kinds from `variables`; otherwise leave {@link WorkspaceVariable} placeholders. */
  renderVariables?: boolean;
  /** Workspace variables by name. tripwire has none, so every reference fails when rendering. */
  variables?: Record<string, unknown>;
}

const REMOVE = Symbol('remove');

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  // A root prototype from any realm (structuredClone may hand back another realm's objects); class instances such
  // as the placeholders have a prototype of their own in between.
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function isPlaceholder(value: unknown): value is Placeholder {
  return value instanceof ParameterError || value instanceof ValidJinja || value instanceof WorkspaceVariable;
}

const keyPath = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Prefect's `maybe_template`: does this text contain a Jinja expression or statement? */
export function maybeTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

/** Returns true when `text` is exactly one `{{ expression }}` (surrounding whitespace allowed). */
export function isSingleExpression(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.startsWith('{{') && trimmed.endsWith('}}') && trimmed.indexOf('{{', 2) === -1;
}

function upgradeString(text: string): Record<string, unknown> {
  if (!isSingleExpression(text)) return { __prefect_kind: 'jinja', template: text };
  // Whitespace-control markers (`{{- x -}}`) mean nothing once the output is a JSON value; the parentheses make
  // `tojson` apply to the whole expression (`a ~ b`, `x or y`), not to its last operand.
  let inner = text.trim().slice(2, -2);
  if (inner.startsWith('-') || inner.startsWith('+')) inner = inner.slice(1);
  if (inner.endsWith('-') || inner.endsWith('+')) inner = inner.slice(0, -1);
  return { __prefect_kind: 'json', value: { __prefect_kind: 'jinja', template: `{{ (${inner.trim()}) | tojson }}` } };
}

function upgradeObject(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, upgradeValue(value)]));
}

function upgradeValue(value: unknown): unknown {
  if (isPlainObject(value)) return '__prefect_kind' in value ? value : upgradeObject(value);
  if (Array.isArray(value)) {
    // Prefect enters objects in arrays without the `__prefect_kind` check, and leaves nested arrays alone.
    return value.map((item: unknown) => {
      if (isPlainObject(item)) return upgradeObject(item);
      return typeof item === 'string' && maybeTemplate(item) ? upgradeString(item) : item;
    });
  }
  return typeof value === 'string' && maybeTemplate(value) ? upgradeString(value) : value;
}

/**
 * Returns a copy of `parameters` in which every plain string holding a template is a `__prefect_kind` object:
 * exactly one `{{ expr }}` becomes `json(jinja("{{ (expr) | tojson }}"))`, so it keeps its JSON type; any other
 * template (text around expressions, several expressions, `{% %}` blocks) becomes a `jinja` kind and renders to a
 * string. Objects that already have `__prefect_kind` are not entered (Prefect ≥ 3.6.24 rules, quirks included).
 */
export function upgradeParameterTemplates(parameters: Record<string, unknown>): Record<string, unknown> {
  return upgradeObject(parameters);
}

/**
 * Hydrates every `__prefect_kind` object in `value`, at any depth: `json`, `jinja`, `none`, `workspace_variable`;
 * any other kind stands for its `value`. A `json` or `workspace_variable` kind without its key is removed from its
 * parent (the whole value becomes `{}`). Errors are thrown with `raiseOnError`, else left in place.
 */
export function hydrate(value: unknown, ctx: HydrationContext = {}): unknown {
  const result = hydrateAt(value, '', ctx);
  return result === REMOVE ? {} : result;
}

function hydrateAt(value: unknown, path: string, ctx: HydrationContext): unknown {
  if (isPlainObject(value)) {
    if ('__prefect_kind' in value) return callHandler(value, path, ctx);
    const entries: [string, unknown][] = [];
    for (const [key, child] of Object.entries(value)) {
      const hydrated = hydrateAt(child, keyPath(path, key), ctx);
      if (hydrated !== REMOVE) entries.push([key, hydrated]);
    }
    return Object.fromEntries(entries);
  }
  if (Array.isArray(value)) {
    return value
      .map((item: unknown, index) => hydrateAt(item, `${path}[${index}]`, ctx))
      .filter((item) => item !== REMOVE);
  }
  return value;
}

function callHandler(object: Record<string, unknown>, path: string, ctx: HydrationContext): unknown {
  const result = handle(object, path, ctx);
  if (ctx.raiseOnError && result instanceof ParameterError) throw result;
  return result;
}

/** An inner value that is an object is hydrated first; a placeholder there is passed up unchanged. */
function dehydrated(value: unknown, path: string, ctx: HydrationContext): unknown {
  return isPlainObject(value) ? hydrateAt(value, path, ctx) : value;
}

function handle(object: Record<string, unknown>, path: string, ctx: HydrationContext): unknown {
  switch (object.__prefect_kind) {
    case 'none':
      return 'value' in object ? hydrateAt(object.value, path, ctx) : new ParameterError('ValueNotFound', path);
    case 'json': {
      if (!('value' in object)) return REMOVE;
      const inner = dehydrated(object.value, path, ctx);
      if (isPlaceholder(inner) || typeof inner !== 'string') return inner;
      try {
        return JSON.parse(inner) as unknown;
      } catch (error) {
        return new ParameterError('InvalidJSON', path, (error as Error).message, { cause: error });
      }
    }
    case 'jinja': {
      if (!('template' in object)) return new ParameterError('TemplateNotFound', path);
      const template = dehydrated(object.template, path, ctx);
      if (isPlaceholder(template)) return template;
      if (typeof template !== 'string') return new ParameterError('InvalidJinja', path, 'template must be a string');
      try {
        ctx.validate?.(template);
        return ctx.render ? ctx.render(template, ctx.context ?? {}) : new ValidJinja(template);
      } catch (error) {
        // Prefect reports syntax, sandbox and render failures alike as InvalidJinja.
        return new ParameterError('InvalidJinja', path, (error as Error).message, { cause: error });
      }
    }
    case 'workspace_variable': {
      if (!('variable_name' in object)) return REMOVE;
      const name = dehydrated(object.variable_name, path, ctx);
      if (isPlaceholder(name)) return name;
      if (!ctx.renderVariables) return new WorkspaceVariable(name);
      const variables = ctx.variables ?? {};
      if (typeof name === 'string' && Object.hasOwn(variables, name)) return variables[name];
      return new ParameterError('WorkspaceVariableNotFound', path, String(name));
    }
    default:
      return object.value ?? null;
  }
}

/** One problem found in a parameter at save time. */
export interface ParameterIssue {
  /** `key`, `key.nested` or `list[0].key`; '' for the parameters object itself. */
  path: string;
  message: string;
}

function collectErrors(value: unknown, path: string, into: ParameterIssue[]): ParameterIssue[] {
  if (value instanceof ParameterError) into.push({ path, message: value.message });
  else if (isPlainObject(value))
    for (const [key, child] of Object.entries(value)) collectErrors(child, keyPath(path, key), into);
  else if (Array.isArray(value))
    value.forEach((item: unknown, index) => collectErrors(item, `${path}[${index}]`, into));
  return into;
}

/**
 * Checks an action's parameters when the automation is saved, without rendering: upgrades template strings, then
 * validates every template and JSON value. Returns one issue per bad value (Prefect answers 422 "Invalid parameters:
 * \n<path>: <message>"); workspace variables are not looked up.
 */
export function validateParameterTemplates(
  parameters: Record<string, unknown> | null | undefined,
  validate: TemplateValidator = validateTemplate,
): ParameterIssue[] {
  if (!parameters || Object.keys(parameters).length === 0) return [];
  return collectErrors(hydrate(upgradeParameterTemplates(parameters), { validate }), '', []);
}

/**
 * Returns the run parameters of a firing: a deep copy of `parameters` (null → {}) upgraded and hydrated with every
 * template rendered against `context` by `render`. Throws {@link ParameterError} for the first bad value; Prefect then
 * fails the action with "Unable to create flow run from deployment: <kind>()".
 */
export function renderRunParameters(
  parameters: Record<string, unknown> | null | undefined,
  context: Record<string, unknown>,
  render: TemplateRenderer,
): Record<string, unknown> {
  const upgraded = upgradeParameterTemplates(structuredClone(parameters ?? {}));
  const result = hydrate(upgraded, { render, context, raiseOnError: true, renderVariables: true, variables: {} });
  if (!isPlainObject(result)) throw new ParameterError('InvalidJSON', '', 'parameters must be a JSON object');
  return result;
}

/**
 * Returns the deployment's default parameters with `rendered` laid over them (top-level keys only), hydrated once more
 * so `__prefect_kind` values among the defaults resolve, as Prefect's flow-run endpoint does. Templates among the
 * defaults are not rendered there, so one is an InvalidJinja error rather than a silent placeholder.
 */
export function overlayDefaults(
  defaults: Record<string, unknown>,
  rendered: Record<string, unknown>,
): Record<string, unknown> {
  const merged = hydrate({ ...defaults, ...rendered }, { raiseOnError: true, renderVariables: true, variables: {} });
  const leftover = findPlaceholder(merged, '');
  if (leftover) throw new ParameterError('InvalidJinja', leftover, 'templates in default parameters are not rendered');
  return merged as Record<string, unknown>;
}

function findPlaceholder(value: unknown, path: string): string | undefined {
  if (isPlaceholder(value)) return path;
  const children: [string, unknown][] = isPlainObject(value)
    ? Object.entries(value).map(([key, child]) => [keyPath(path, key), child])
    : Array.isArray(value)
      ? value.map((child: unknown, index) => [`${path}[${index}]`, child])
      : [];
  for (const [childPath, child] of children) {
    const found = findPlaceholder(child, childPath);
    if (found !== undefined) return found;
  }
  return undefined;
}

// Compiled schemas by their JSON text, so a deployment's schema compiles once per process; bounded because each
// entry holds its own Ajv instance (distinct schemas may reuse an `$id`, which one instance would refuse).
const compiled = new Map<string, ValidateFunction | string>();
const MAX_COMPILED = 64;

function compile(schema: unknown): ValidateFunction | string {
  if (!isPlainObject(schema)) return 'Invalid schema: a parameter schema must be a JSON object';
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached !== undefined) return cached;
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  // Prefect validates with draft 2020-12; draft-07 and 2019-09 schemas name their dialect in `$schema`.
  // `logger: false` because unknown formats are ignored (no ajv-formats), which ajv would otherwise warn about.
  const options = { strict: false, allErrors: true, logger: false } as const;
  const ajv = /draft-0[67]/.test(dialect)
    ? new Ajv(options)
    : /2019-09/.test(dialect)
      ? new Ajv2019(options)
      : new Ajv2020(options);
  let result: ValidateFunction | string;
  try {
    // Remote `$ref`s are never fetched: ajv has no loader here, so they fail to compile instead.
    result = ajv.compile(schema);
  } catch (error) {
    result = `Invalid schema: ${(error as Error).message}`;
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, result);
  return result;
}

/** Returns why `schema` is not a usable JSON Schema ("Invalid schema: …"), or undefined when it compiles. */
export function checkParameterSchema(schema: unknown): string | undefined {
  const result = compile(schema);
  return typeof result === 'string' ? result : undefined;
}

function fieldOf(error: ErrorObject): string {
  return error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : keyPath(path, part)), '');
}

/**
 * Returns one message per way `parameters` breaks `schema`, in Prefect's words ("Validation failed for field 'a'.
 * Failure reason: must be integer"); empty when they conform. A schema that does not compile is one message.
 * Callers add Prefect's prefix ("Validation error occurred for 'run-deployment' - ").
 */
export function validateAgainstSchema(parameters: Record<string, unknown>, schema: Record<string, unknown>): string[] {
  const validate = compile(schema);
  if (typeof validate === 'string') return [validate];
  if (validate(parameters)) return [];
  return (validate.errors ?? []).map((error) => {
    const field = fieldOf(error);
    const reason = `Failure reason: ${error.message ?? 'invalid'}`;
    return field ? `Validation failed for field '${field}'. ${reason}` : `Validation failed. ${reason}`;
  });
}
