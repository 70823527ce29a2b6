// Reads a Prefect project file (prefect.yaml) into the deployments `tripwire deploy` registers (Prefect §9): entry
// points and activities modules made absolute against the file's directory, triggers parsed, run parameters kept
// verbatim.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { checkParameterSchema } from '../actions/run-parameters';
import {
  type DeploymentInput,
  type DeploymentTrigger,
  deploymentSchema,
  splitEntrypoint,
} from '../../core/deployments/schema';

/** A deployment of a project file, ready to POST to /api/deployments. */
export interface ProjectDeployment extends DeploymentInput {
  /** Absolute `file:export` (a bare workflow type on an external work pool). */
  entrypoint: string;
  /** Always a list: every deploy replaces the automations the deployment owns, as `prefect deploy` does. */
  triggers: DeploymentTrigger[];
}

/** A parsed project file. */
export interface PrefectProject {
  /** The project file, as given. */
  file: string;
  /** The directory entry points are relative to: the file's own. */
  baseDir: string;
  deployments: ProjectDeployment[];
}

/** One problem in a project file; `path` is like `deployments[1].triggers[0].within`. */
export interface ProjectIssue {
  path: string;
  message: string;
}

/** Thrown when a project file cannot be read or does not describe valid deployments; lists every problem found. */
export class PrefectYamlError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ProjectIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      `${file}:\n${issues.map((issue) => `  ${issue.path ? `${issue.path}: ` : ''}${issue.message}`).join('\n')}`,
      options,
    );
    this.name = 'PrefectYamlError';
  }
}

/** Formats a zod-style path: `deployments[1].triggers[0].match['prefect.resource.id']`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((out, segment) => {
    if (typeof segment === 'number') return `${out}[${segment}]`;
    const key = String(segment);
    if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${out}['${key}']`;
    return out ? `${out}.${key}` : key;
  }, '');
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Returns the paths of strings holding `{{`. Deploy-time templating (`{{ prefect.variables.x }}`, `{{ step.output }}`)
 * is not supported, and a literal template in a name or `enabled` would fail later and less clearly.
 */
function templatedStrings(value: unknown, at: PropertyKey[], skip: (at: PropertyKey[]) => boolean): PropertyKey[][] {
  if (skip(at)) return [];
  if (typeof value === 'string') return value.includes('{{') ? [at] : [];
  if (Array.isArray(value))
    return value.flatMap((item: unknown, index) => templatedStrings(item, [...at, index], skip));
  if (isRecord(value))
    return Object.entries(value).flatMap(([key, child]) => templatedStrings(child, [...at, key], skip));
  return [];
}

// The fields tripwire reads, checked for templates. Others (build/push/pull steps, schedules, version,
// work_pool.job_variables, …) are ignored, templates and all; the deployment's `parameters` are kept verbatim.
const READ_FIELDS = [
  'name',
  'description',
  'entrypoint',
  'entrypoint_type',
  'activities',
  'work_pool',
  'tags',
  'parameter_schema',
  'retries',
  'retry_delay_seconds',
  'timeout_seconds',
  'triggers',
] as const;

/** Parts of the read fields that are not checked: a trigger's run parameters and work_pool keys other than `name`. */
function unchecked(at: PropertyKey[]): boolean {
  // Run parameters stay verbatim: their `{{ event }}` templates render when the trigger fires. (A child trigger's
  // `parameters` are dropped as unknown keys, so they are not worth an error either.)
  const trigger = at.slice(0, -1);
  const isTriggerPath = trigger.every((part, i) => (i % 2 === 0 ? part === 'triggers' : typeof part === 'number'));
  if (at.at(-1) === 'parameters' && trigger.length >= 2 && trigger.length % 2 === 0 && isTriggerPath) return true;
  return at.length === 2 && at[0] === 'work_pool' && at[1] !== 'name';
}

function templateIssues(raw: Record<string, unknown>, at: PropertyKey[]): ProjectIssue[] {
  return READ_FIELDS.flatMap((field) => templatedStrings(raw[field], [field], unchecked)).map((p) => ({
    path: formatPath([...at, ...p]),
    message: 'deploy-time templates ({{ … }}) are not supported by tripwire; write the value itself',
  }));
}

function parseDeployment(raw: unknown, index: number, baseDir: string): ProjectDeployment | ProjectIssue[] {
  const at = ['deployments', index];
  if (!isRecord(raw)) return [{ path: formatPath(at), message: 'a deployment must be a mapping' }];
  const named = typeof raw.name === 'string' && raw.name ? ` (in deployment '${raw.name}')` : '';
  const issues = templateIssues(raw, at);
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) {
    // A template is the root cause of any schema complaint about the same field (`enabled: "{{ … }}"`).
    const templated = issues.map((issue) => issue.path);
    for (const issue of parsed.error.issues) {
      const where = formatPath([...at, ...issue.path]);
      if (!templated.some((t) => where === t || where.startsWith(`${t}.`) || where.startsWith(`${t}[`))) {
        issues.push({ path: where, message: issue.message });
      }
    }
  } else if (parsed.data.parameter_schema) {
    const problem = checkParameterSchema(parsed.data.parameter_schema);
    if (problem) issues.push({ path: formatPath([...at, 'parameter_schema']), message: problem });
  }
  if (issues.length > 0 || !parsed.success)
    return issues.map((issue) => ({ ...issue, message: issue.message + named }));
  const external = parsed.data.work_pool.type === 'external';
  const entrypoint = (() => {
    if (external && !parsed.data.entrypoint.includes(':')) return parsed.data.entrypoint;
    const { file, exportName } = splitEntrypoint(parsed.data.entrypoint);
    return `${path.resolve(baseDir, file)}:${exportName}`;
  })();
  return {
    ...parsed.data,
    entrypoint,
    ...(parsed.data.activities ? { activities: path.resolve(baseDir, parsed.data.activities) } : {}),
    triggers: parsed.data.triggers ?? [],
  };
}

/**
 * Parses the text of a project file whose directory is `baseDir`. Only `deployments` is read; an empty file has no
 * deployments. YAML merge keys (`<<: *base`) and anchors work as in Prefect's files. Throws {@link PrefectYamlError}.
 */
export function parsePrefectYaml(text: string, options: { baseDir: string; file?: string }): PrefectProject {
  const file = options.file ?? path.join(options.baseDir, 'prefect.yaml');
  let document: unknown;
  try {
    document = parse(text, { merge: true });
  } catch (error) {
    throw new PrefectYamlError(file, [{ path: '', message: `not valid YAML: ${(error as Error).message}` }], {
      cause: error,
    });
  }
  if (document == null) return { file, baseDir: options.baseDir, deployments: [] };
  if (!isRecord(document)) throw new PrefectYamlError(file, [{ path: '', message: 'the file must be a mapping' }]);
  const list = document.deployments ?? [];
  if (!Array.isArray(list)) throw new PrefectYamlError(file, [{ path: 'deployments', message: 'must be a list' }]);

  const deployments: ProjectDeployment[] = [];
  const issues: ProjectIssue[] = [];
  const seen = new Set<string>();
  list.forEach((raw: unknown, index) => {
    const result = parseDeployment(raw, index, options.baseDir);
    if (Array.isArray(result)) return void issues.push(...result);
    if (seen.has(result.name)) {
      issues.push({ path: `deployments[${index}].name`, message: `deployment '${result.name}' is defined twice` });
    }
    seen.add(result.name);
    deployments.push(result);
  });
  if (issues.length > 0) throw new PrefectYamlError(file, issues);
  return { file, baseDir: options.baseDir, deployments };
}

/**
 * Reads and parses the project file at `file` (relative to the working directory), checking that every entry
 * point's file exists. Throws {@link PrefectYamlError}.
 */
export function loadPrefectYaml(file: string): PrefectProject {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new PrefectYamlError(file, [{ path: '', message: `unable to read the file: ${(error as Error).message}` }], {
      cause: error,
    });
  }
  const project = parsePrefectYaml(text, { baseDir: path.dirname(absolute), file });
  const missing = project.deployments.flatMap((deployment, index) => {
    // An external pool's worker has the code, wherever it runs.
    if (deployment.work_pool.type === 'external') return [];
    const files = [
      { field: 'entrypoint', file: splitEntrypoint(deployment.entrypoint).file },
      ...(deployment.activities ? [{ field: 'activities', file: deployment.activities }] : []),
    ];
    return files
      .filter(({ file: flowFile }) => !fs.existsSync(flowFile))
      .map(({ field, file: flowFile }) => ({
        path: `deployments[${index}].${field}`,
        message: `no file at ${flowFile} (in deployment '${deployment.name}')`,
      }));
  });
  if (missing.length > 0) throw new PrefectYamlError(file, missing);
  return project;
}

/**
 * Returns the deployments named by `names` (all of them when none is given), in file order. A name may also be
 * given as Prefect's `<flow>/<deployment>`; only the deployment part is matched. Throws when a name is not found.
 */
export function selectDeployments(project: PrefectProject, names?: string | readonly string[]): ProjectDeployment[] {
  const wanted = (typeof names === 'string' ? [names] : (names ?? [])).map((name) =>
    project.deployments.some((d) => d.name === name) ? name : name.slice(name.lastIndexOf('/') + 1),
  );
  if (wanted.length === 0) return project.deployments;
  const missing = wanted.filter((name) => !project.deployments.some((d) => d.name === name));
  if (missing.length > 0) {
    const known = project.deployments.map((d) => d.name).join(', ') || 'none';
    throw new PrefectYamlError(project.file, [
      {
        path: 'deployments',
        message: `no deployment named ${missing.map((n) => `'${n}'`).join(', ')} (it has: ${known})`,
      },
    ]);
  }
  return project.deployments.filter((d) => wanted.includes(d.name));
}
