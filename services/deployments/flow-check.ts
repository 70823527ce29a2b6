// Deploy-time checks of a deployment's code, so a wrong choice is an error when deploying rather than a run that never
// starts: the entrypoint's file exists and exports the named function; a `workflow` entrypoint bundles for the
// workflow sandbox (a plain function doing I/O does not, and is told to say `entrypoint_type: function`); a
// `function` entrypoint is not a workflow; the activities module exports functions, none of whose names another
// deployment on the same work pool already registers; and a pool is either tripwire's or external, not both.
import fs from 'node:fs';
import { TripwireError } from '../../core/errors';
import type { DeploymentRecord } from '../../db/deployments';
import type { Logger } from '../logging/logger';
import { activitiesFile, entrypointExport, entrypointFile } from './entrypoints';
import { bundleFlows } from './flow-bundle';
import { exportedFunctions, fileSignature, loadFlowModule } from './flow-modules';

/** Thrown when a deployment's code cannot run as it says (a 422); `path` names the field at fault. */
export class FlowCheckError extends TripwireError {
  constructor(
    readonly path: 'entrypoint' | 'entrypoint_type' | 'activities' | 'work_pool',
    message: string,
  ) {
    super('UNPROCESSABLE', message, [{ path, message }]);
    this.name = 'FlowCheckError';
  }
}

/** The fields of a deployment the checks read. */
export type FlowTarget = Pick<
  DeploymentRecord,
  'name' | 'entrypoint' | 'entrypoint_type' | 'activities' | 'base_dir' | 'work_pool' | 'work_pool_type'
>;

/** Runs the checks, remembering each file's outcome until the file changes. */
export class FlowChecks {
  private readonly bundles = new Map<string, Promise<string | undefined>>();

  constructor(private readonly options: { nodeModules: string; logger: Logger }) {}

  /**
   * Checks `target`'s own code, and `target` against the other deployments of its pool. Files this process cannot
   * see are not checked (the API may run on another machine than the flows; `tripwire deploy` checks them where they
   * are). Throws {@link FlowCheckError}.
   */
  async check(target: FlowTarget, poolMates: readonly FlowTarget[] = []): Promise<void> {
    const others = poolMates.filter((other) => other.name !== target.name && other.work_pool === target.work_pool);
    const mixed = others.find((other) => other.work_pool_type !== target.work_pool_type);
    if (mixed)
      throw new FlowCheckError(
        'work_pool',
        `work pool ${target.work_pool} is ${mixed.work_pool_type === 'external' ? 'served by an external worker' : "served by tripwire's pool worker"} ` +
          `(deployment ${mixed.name}); a pool is one or the other, so give this deployment a pool of its own`,
      );
    if (target.work_pool_type === 'external') return;
    await this.checkEntrypoint(target, others);
    await this.checkActivities(target, others);
  }

  private async checkEntrypoint(target: FlowTarget, others: readonly FlowTarget[]): Promise<void> {
    const file = entrypointFile(target.entrypoint, target.base_dir);
    const name = entrypointExport(target.entrypoint);
    if (target.entrypoint_type === 'workflow') {
      const clash = others.find(
        (other) =>
          other.entrypoint_type === 'workflow' &&
          entrypointExport(other.entrypoint) === name &&
          entrypointFile(other.entrypoint, other.base_dir) !== file,
      );
      if (clash)
        throw new FlowCheckError(
          'entrypoint',
          `deployment ${clash.name} on work pool ${target.work_pool} runs another workflow named ${name}; one worker ` +
            'registers one workflow per name, so rename the function or use another pool',
        );
    }
    if (!fs.existsSync(file)) return;
    const source = fs.readFileSync(file, 'utf8');
    if (target.entrypoint_type === 'function') {
      if (/from\s+['"]@temporalio\/workflow['"]|require\(\s*['"]@temporalio\/workflow['"]\s*\)/.test(source))
        throw new FlowCheckError(
          'entrypoint_type',
          `${file} imports @temporalio/workflow, so ${name} is a Temporal workflow: deploy it with entrypoint_type: ` +
            'workflow (a function flow is a plain async function, run as one activity)',
        );
      const exports = this.load(file, 'entrypoint');
      if (typeof exports[name] !== 'function') throw new FlowCheckError('entrypoint', notExported(file, name, exports));
      return;
    }
    const problem = await this.bundleProblem(file, name);
    if (problem) throw new FlowCheckError('entrypoint', problem);
  }

  private async checkActivities(target: FlowTarget, others: readonly FlowTarget[]): Promise<void> {
    if (!target.activities) return;
    const file = activitiesFile(target.activities, target.base_dir);
    if (!fs.existsSync(file)) return;
    const names = exportedFunctions(this.load(file, 'activities'));
    if (names.length === 0)
      throw new FlowCheckError('activities', `${file} exports no functions; its exported functions are the activities`);
    for (const other of others) {
      if (!other.activities || other.entrypoint_type !== 'workflow') continue;
      const otherFile = activitiesFile(other.activities, other.base_dir);
      if (otherFile === file || !fs.existsSync(otherFile)) continue;
      let otherNames: string[];
      try {
        otherNames = exportedFunctions(loadFlowModule(otherFile, { fresh: true }));
      } catch {
        continue; // its own deploy reported it; it cannot clash with what it cannot register
      }
      const clash = names.filter((n) => otherNames.includes(n));
      if (clash.length > 0)
        throw new FlowCheckError(
          'activities',
          `activit${clash.length === 1 ? 'y' : 'ies'} ${clash.join(', ')} of ${file} ${clash.length === 1 ? 'is' : 'are'} also ` +
            `exported by ${otherFile} (deployment ${other.name}) on work pool ${target.work_pool}; one worker registers ` +
            'one function per activity name, so rename one or use another pool',
        );
    }
  }

  private load(file: string, field: 'entrypoint' | 'activities'): Record<string, unknown> {
    try {
      return loadFlowModule(file, { fresh: true });
    } catch (error) {
      throw new FlowCheckError(field, `${file} could not be loaded: ${(error as Error).message}`);
    }
  }

  /** Why `name` of `file` cannot run as a workflow, or undefined when it bundles. */
  private async bundleProblem(file: string, name: string): Promise<string | undefined> {
    const source = fs.readFileSync(file, 'utf8');
    const declared = new RegExp(
      `export\\s+(async\\s+)?function\\s*\\*?\\s*${name}\\b|export\\s+(const|let|var)\\s+${name}\\b|export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`,
    );
    if (!declared.test(source)) return `${file} does not export a function named ${name}`;
    // Whether a file bundles does not depend on which of its functions is asked for: one bundle per version of it.
    const key = fileSignature(file);
    let bundled = this.bundles.get(key);
    if (!bundled) {
      bundled = this.bundle(file, name);
      this.bundles.set(key, bundled);
    }
    const problem = await bundled;
    return problem && `${name} in ${file} cannot run in the Temporal workflow sandbox: ${problem}`;
  }

  private async bundle(file: string, name: string): Promise<string | undefined> {
    try {
      await bundleFlows(new Map([[name, file]]), {
        nodeModules: this.options.nodeModules,
        logger: this.options.logger,
      });
      return undefined;
    } catch (error) {
      return (
        (error as Error).message.split('\n').slice(0, 6).join('\n') +
        '\nA plain async function that does I/O is deployed with entrypoint_type: function; a workflow calls its I/O ' +
        'through the activities module named by `activities`.'
      );
    }
  }
}

function notExported(file: string, name: string, exports: Record<string, unknown>): string {
  const functions = exportedFunctions(exports);
  return (
    `${file} does not export a function named ${name}` +
    (functions.length ? ` (its exported functions: ${functions.join(', ')})` : ' (it exports no functions)')
  );
}
