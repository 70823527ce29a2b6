// `tripwire worker --pool NAME`: runs the flows of the deployments on one work pool. Workflow flows are bundled into
// one workflow bundle (with the interceptor that reports when a flow starts), the functions of their `activities`
// modules are registered as activities, and function flows run through one generic activity that calls the
// entrypoint's function. When a deployment is added or changed (or its files change), it builds the new set, then
// swaps the old worker for a new one, so registering a deployment needs no restart. The SDK refuses two workers on
// one task queue in a process, so the old one is drained before the new one starts; everything is built first, so the
// queue goes unpolled only for the swap itself (tasks wait in Temporal meanwhile). Deployments on an external pool
// are left to the team's own worker: nothing here polls their queue.
import fs from 'node:fs';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { DeploymentRecord } from '../db/deployments';
import type { Logger } from '../services/logging/logger';
import { installTemporalRuntime } from '../services/temporal/runtime';
import type { Tracing } from '../services/tracing/tracing';
import { flowTracingWorkerOptions, OTEL_WORKFLOW_INTERCEPTORS } from './tracing';
import { activitiesFile, entrypointExport, entrypointFile } from '../services/deployments/entrypoints';
import { bundleFlows } from '../services/deployments/flow-bundle';
import { exportedFunctions, fileSignature, loadFlowModule } from '../services/deployments/flow-modules';
import { RUN_FUNCTION_FLOW } from '../workflows/activity-contracts';
import {
  createFunctionFlowActivity,
  type FunctionFlow,
  type FunctionLookup,
  type FlowRunReporter,
} from './function-flows';

/** The fields of a deployment a pool worker reads (older APIs may lack the optional ones). */
export type PoolDeployment = Pick<DeploymentRecord, 'name' | 'entrypoint' | 'base_dir'> &
  Partial<Pick<DeploymentRecord, 'entrypoint_type' | 'activities' | 'work_pool_type'>>;

/** Where a pool worker learns the pool's deployments: the database in-process, or the REST API from the CLI. */
export interface DeploymentSource {
  list(workPool: string): Promise<PoolDeployment[]>;
}

export interface PoolWorkerOptions {
  address: string;
  namespace: string;
  pool: string;
  pollIntervalMs?: number;
  /** Where the project's own node_modules are, so flows outside the project can import @temporalio/workflow. */
  nodeModules: string;
  /** The flow-run records, when in tripwire's process: function flows' starts and ends are written there directly. */
  records?: FlowRunReporter;
  /** When tracing is on, the flows' workflows continue the trace of the flow run that started them. */
  tracing?: Tracing;
}

/** What one build of the pool serves. */
interface PoolPlan {
  /** Workflow type → file. */
  workflows: Map<string, string>;
  /** Absolute `file:export` of each function flow. */
  functions: { entrypoint: string; file: string; name: string; deployment: string }[];
  /** Activities modules, with the deployment that names each. */
  activities: { file: string; deployment: string }[];
  /** Changes whenever a deployment or one of its files does. */
  signature: string;
}

// Cancellation reaches an activity in a heartbeat's reply, and the SDK holds heartbeats back for up to 80% of the
// heartbeat timeout: a second at most, so a cancelled flow's AbortSignal fires within a couple of seconds.
const MAX_HEARTBEAT_THROTTLE = '1 second';

/** Keeps a Temporal worker for the pool's current deployments. */
export class PoolWorker {
  private current: { worker: Worker; done: Promise<void>; signature: string; flows: string[] } | undefined;
  private connection: NativeConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private stopped = false;
  private warnedExternal = false;

  constructor(
    private readonly deployments: DeploymentSource,
    private readonly options: PoolWorkerOptions,
    private readonly logger: Logger,
  ) {}

  /** Loads the pool's deployments and starts following changes. */
  async start(): Promise<void> {
    installTemporalRuntime(this.logger);
    this.connection = await NativeConnection.connect({ address: this.options.address });
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) =>
        this.logger.warn('pool worker reload failed', { pool: this.options.pool, error: (error as Error).message }),
      );
    }, this.options.pollIntervalMs ?? 2000);
    this.timer.unref();
  }

  /** Rebuilds the worker when the pool's deployments changed. */
  async reload(): Promise<void> {
    if (this.reloading) return this.reloading;
    this.reloading = this.reloadNow().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /** The workflow types and function flows (`file:export`) the current worker serves. */
  get flows(): string[] {
    return this.current?.flows ?? [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reloading;
    await this.shutdown(this.current);
    this.current = undefined;
    await this.connection?.close();
  }

  private async reloadNow(): Promise<void> {
    if (this.stopped) return;
    const plan = this.plan(await this.deployments.list(this.options.pool));
    if (plan.signature === (this.current?.signature ?? '')) return;
    const built = plan.signature ? await this.build(plan) : undefined;
    await this.shutdown(this.current);
    this.current = undefined;
    if (this.stopped || !built) return;
    const worker = await Worker.create({
      connection: this.connection!,
      namespace: this.options.namespace,
      taskQueue: this.options.pool,
      ...(built.bundle ? { workflowBundle: built.bundle } : {}),
      activities: built.activities,
      maxHeartbeatThrottleInterval: MAX_HEARTBEAT_THROTTLE,
      shutdownGraceTime: '10 seconds',
      ...(this.options.tracing ? flowTracingWorkerOptions(this.options.tracing) : {}),
    });
    const flows = [...plan.workflows.keys(), ...plan.functions.map((f) => f.entrypoint)];
    this.current = { worker, done: worker.run(), signature: plan.signature, flows };
    this.logger.info('pool worker serving', {
      pool: this.options.pool,
      flows,
      activities: Object.keys(built.activities).filter((name) => name !== RUN_FUNCTION_FLOW),
    });
  }

  /** Sorts the pool's deployments into what the worker registers. */
  private plan(deployments: PoolDeployment[]): PoolPlan {
    const plan: PoolPlan = { workflows: new Map(), functions: [], activities: [], signature: '' };
    const parts: string[] = [];
    const external = deployments.filter((d) => d.work_pool_type === 'external');
    if (external.length > 0 && !this.warnedExternal) {
      this.warnedExternal = true;
      this.logger.warn("deployments on an external work pool are run by the team's own worker, not this one", {
        pool: this.options.pool,
        deployments: external.map((d) => d.name),
      });
    }
    for (const deployment of deployments) {
      if (deployment.work_pool_type === 'external') continue;
      const name = entrypointExport(deployment.entrypoint);
      const file = entrypointFile(deployment.entrypoint, deployment.base_dir);
      if (deployment.entrypoint_type === 'function') {
        const entrypoint = `${file}:${name}`;
        if (!plan.functions.some((f) => f.entrypoint === entrypoint))
          plan.functions.push({ entrypoint, file, name, deployment: deployment.name });
        parts.push(`function ${entrypoint} ${fileSignature(file)}`);
        continue;
      }
      const taken = plan.workflows.get(name);
      if (taken && taken !== file) {
        this.logger.warn('two deployments on one pool run workflows of the same name; the first is served', {
          pool: this.options.pool,
          flow: name,
          deployment: deployment.name,
        });
        continue;
      }
      plan.workflows.set(name, file);
      parts.push(`workflow ${name} ${fileSignature(file)}`);
      if (deployment.activities) {
        const activities = activitiesFile(deployment.activities, deployment.base_dir);
        if (!plan.activities.some((a) => a.file === activities))
          plan.activities.push({ file: activities, deployment: deployment.name });
        parts.push(`activities ${fileSignature(activities)}`);
      }
    }
    plan.signature = parts.sort().join('\n');
    return plan;
  }

  private async build(plan: PoolPlan): Promise<{ bundle?: WorkflowBundle; activities: Record<string, unknown> }> {
    const activities: Record<string, unknown> = {};
    const owners = new Map<string, string>();
    for (const { file, deployment } of plan.activities) {
      let exports: Record<string, unknown>;
      try {
        exports = loadFlowModule(file, { fresh: true });
      } catch (error) {
        this.logger.error('could not load an activities module', { deployment, file, error: (error as Error).message });
        continue;
      }
      for (const name of exportedFunctions(exports)) {
        if (name === RUN_FUNCTION_FLOW || owners.has(name)) {
          this.logger.error('two activities modules on one pool export the same name; the first is registered', {
            pool: this.options.pool,
            activity: name,
            deployments: [owners.get(name) ?? 'tripwire', deployment],
          });
          continue;
        }
        owners.set(name, deployment);
        activities[name] = exports[name];
      }
    }
    activities[RUN_FUNCTION_FLOW] = createFunctionFlowActivity(
      this.functionLookup(plan),
      this.logger,
      this.options.records,
    );
    const bundle = plan.workflows.size > 0 ? await this.bundle(plan.workflows) : undefined;
    return { bundle, activities };
  }

  /** Loads every function flow now, so a broken one is reported when it is deployed and its runs fail clearly. */
  private functionLookup(plan: PoolPlan): FunctionLookup {
    const found = new Map<string, { flow: FunctionFlow } | { problem: string }>();
    const loaded = new Map<string, Record<string, unknown> | Error>();
    for (const { entrypoint, file, name, deployment } of plan.functions) {
      if (!loaded.has(file)) {
        try {
          loaded.set(file, loadFlowModule(file, { fresh: true }));
        } catch (error) {
          loaded.set(file, error as Error);
        }
      }
      const exports = loaded.get(file)!;
      const value = exports instanceof Error ? undefined : exports[name];
      if (typeof value === 'function') {
        found.set(entrypoint, { flow: value as FunctionFlow });
        continue;
      }
      const problem =
        exports instanceof Error
          ? `could not load ${file}: ${exports.message}`
          : `${file} does not export a function named ${name}`;
      this.logger.error('a function flow cannot run', { deployment, problem });
      found.set(entrypoint, { problem: `work pool ${this.options.pool}: ${problem}` });
    }
    return (entrypoint) =>
      found.get(entrypoint) ?? {
        problem: `this worker of work pool ${this.options.pool} does not serve ${entrypoint} (yet)`,
        unknown: true,
      };
  }

  /**
   * Bundles the workflow flows; one that cannot be bundled is replaced by a workflow that fails with the reason, so
   * its runs end Crashed saying why instead of waiting for a worker that never comes.
   */
  private async bundle(workflows: Map<string, string>): Promise<WorkflowBundle> {
    const options = {
      nodeModules: this.options.nodeModules,
      logger: this.logger,
      ...(this.options.tracing ? { interceptorModules: [OTEL_WORKFLOW_INTERCEPTORS] } : {}),
    };
    const present = new Map([...workflows].filter(([, file]) => fs.existsSync(file)));
    const broken = new Map(
      [...workflows].filter(([, file]) => !fs.existsSync(file)).map(([name, file]) => [name, `no file at ${file}`]),
    );
    try {
      return await bundleFlows(present, { ...options, broken });
    } catch {
      // Find the ones at fault, one bundle each, and keep the rest.
      for (const [name, file] of present) {
        try {
          await bundleFlows(new Map([[name, file]]), options);
        } catch (error) {
          const reason = `${file} cannot be bundled as a workflow: ${(error as Error).message.split('\n')[0]}`;
          this.logger.error('a workflow flow cannot run', { pool: this.options.pool, flow: name, reason });
          present.delete(name);
          broken.set(name, reason);
        }
      }
      return bundleFlows(present, { ...options, broken });
    }
  }

  private async shutdown(entry: { worker: Worker; done: Promise<void> } | undefined): Promise<void> {
    if (!entry) return;
    if (entry.worker.getState() === 'RUNNING') entry.worker.shutdown();
    await entry.done.catch((error: unknown) =>
      this.logger.warn('pool worker stopped with an error', { error: (error as Error).message }),
    );
  }
}
