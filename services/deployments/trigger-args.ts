// `tripwire deploy --trigger …` (Prefect §9): each value is a .yaml or .json file with a top-level `triggers` list, or
// one trigger as JSON text. Any --trigger replaces the project file's triggers for the deployments being deployed.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { type DeploymentTrigger, deploymentTriggerSchema } from '../../core/deployments/schema';
import { formatPath } from './prefect-yaml';

/** Thrown when a --trigger value cannot be read, parsed or validated; the message is Prefect's. */
export class TriggerArgError extends Error {
  constructor(
    readonly value: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Failed to parse trigger: ${value}. Error: ${reason}`, options);
    this.name = 'TriggerArgError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The raw trigger specs one --trigger value stands for; throws plain errors, wrapped by the caller. */
function specsOf(value: string, cwd: string): { specs: unknown[]; at: PropertyKey[] } {
  // Exactly Prefect's suffix test: `.yml` is not a file name here but JSON text, and fails to parse as such.
  if (value.endsWith('.yaml') || value.endsWith('.json')) {
    const text = fs.readFileSync(path.resolve(cwd, value), 'utf8');
    const document: unknown = value.endsWith('.yaml') ? parse(text, { merge: true }) : JSON.parse(text);
    if (!isRecord(document)) throw new Error('the file must hold a mapping with a top-level `triggers` list');
    const triggers = document.triggers ?? [];
    if (!Array.isArray(triggers)) throw new Error('the top-level `triggers` must be a list');
    return { specs: triggers, at: ['triggers'] };
  }
  const spec: unknown = JSON.parse(value);
  if (!isRecord(spec)) throw new Error('a trigger must be a JSON object');
  return { specs: [spec], at: [] };
}

/**
 * Returns the deployment triggers the --trigger values stand for, in order (a file's list contributes all its
 * triggers). Names stay null, so the automations are named `<deployment>__automation_<i>` by position. Throws
 * {@link TriggerArgError} for the first bad value; nothing is read past it and nothing is changed.
 */
export function parseTriggerArgs(values: readonly string[], cwd: string): DeploymentTrigger[] {
  return values.flatMap((value) => {
    let found: { specs: unknown[]; at: PropertyKey[] };
    try {
      found = specsOf(value, cwd);
    } catch (error) {
      throw new TriggerArgError(value, (error as Error).message, { cause: error });
    }
    return found.specs.map((spec, index) => {
      const parsed = deploymentTriggerSchema.safeParse(spec);
      if (parsed.success) return parsed.data;
      const at = found.at.length > 0 ? [...found.at, index] : [];
      const reason = parsed.error.issues
        .map((issue) => {
          const where = formatPath([...at, ...issue.path]);
          return where ? `${where}: ${issue.message}` : issue.message;
        })
        .join('; ');
      throw new TriggerArgError(value, reason, { cause: parsed.error });
    });
  });
}

/**
 * Returns `deployment` with its triggers replaced by `cliTriggers` when any --trigger was given (`undefined` means
 * none was): Prefect ignores the file's triggers entirely then, rather than merging. An empty list (a file with no
 * triggers) still replaces, so the deployment ends up with no automations.
 */
export function applyTriggerOverrides<T extends { triggers?: DeploymentTrigger[] }>(
  deployment: T,
  cliTriggers: readonly DeploymentTrigger[] | undefined,
): T {
  return cliTriggers === undefined ? deployment : { ...deployment, triggers: [...cliTriggers] };
}
