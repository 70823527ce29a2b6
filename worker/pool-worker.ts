// `tripwire worker --pool NAME`: runs the flows of the deployments on one work pool. It bundles their entrypoints
// into one workflow bundle and polls the pool's task queue; when a deployment is added or changed, it bundles the new
// set, then swaps the old worker for a new one, so registering a deployment needs no restart. The SDK refuses two
// workers on one task queue in a process, so the old one is drained before the new one starts; the bundle is built
// first, so the queue goes unpolled only for the swap itself (tasks wait in Temporal meanwhile).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { DeploymentRecord } from '../db/deployments';
import type { Logger } from '../services/logging/logger';
import { installTemporalRuntime, sdkLogger } from '../services/temporal/runtime';
import { entrypointExport, entrypointFile } from '../services/deployments/entrypoints';
import type { Tracing } from '../services/tracing/tracing';
import { flowTracingWorkerOptions, OTEL_WORKFLOW_INTERCEPTORS } from './tracing';

/** Where a pool worker learns the pool's deployments: the database in-process, or the REST API from the CLI. */
export interface DeploymentSource {
  list(workPool: string): Promise<Pick<DeploymentRecord, 'name' | 'entrypoint' | 'base_dir'>[]>;
}

export interface PoolWorkerOptions {
  address: string;
  namespace: string;
  pool: string;
  pollIntervalMs?: number;
  /** Where the project's own node_modules are, so flows outside the project can import @temporalio/workflow. */
  nodeModules: string;
  /** When tracing is on, the flows' workflows continue the trace of the flow run that started them. */
  tracing?: Tracing;
}

/** Keeps a Temporal worker for the pool's current deployments. */
export class PoolWorker {
  private current: { worker: Worker; done: Promise<void>; signature: string } | undefined;
  private connection: NativeConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private stopped = false;
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-pool-'));

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

  /** The workflow types the current worker serves. */
  get flows(): string[] {
    return this.current?.signature ? this.current.signature.split('\n').map((line) => line.split('=')[0]!) : [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reloading;
    await this.shutdown(this.current);
    this.current = undefined;
    await this.connection?.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async reloadNow(): Promise<void> {
    if (this.stopped) return;
    const exports = this.exportsOf(await this.deployments.list(this.options.pool));
    const signature = [...exports]
      .map(([name, file]) => `${name}=${file}`)
      .sort()
      .join('\n');
    if (signature === (this.current?.signature ?? '')) return;
    const bundle = exports.size > 0 ? await this.bundle(exports) : undefined;
    await this.shutdown(this.current);
    this.current = undefined;
    if (this.stopped || !bundle) return;
    this.current = await this.create(bundle, signature);
    this.logger.info('pool worker serving', { pool: this.options.pool, flows: [...exports.keys()] });
  }

  private exportsOf(deployments: Pick<DeploymentRecord, 'name' | 'entrypoint' | 'base_dir'>[]): Map<string, string> {
    const exports = new Map<string, string>();
    for (const deployment of deployments) {
      const name = entrypointExport(deployment.entrypoint);
      const file = entrypointFile(deployment.entrypoint, deployment.base_dir);
      const taken = exports.get(name);
      if (taken && taken !== file) {
        this.logger.warn('two deployments on one pool export the same flow name; the first is served', {
          pool: this.options.pool,
          flow: name,
        });
        continue;
      }
      if (!fs.existsSync(file)) {
        this.logger.warn('deployment entrypoint not found', { deployment: deployment.name, file });
        continue;
      }
      exports.set(name, file);
    }
    return exports;
  }

  private async bundle(exports: Map<string, string>): Promise<WorkflowBundle> {
    const entry = path.join(this.dir, `flows-${Date.now()}.ts`);
    const lines = [...exports].map(
      ([name, file]) => `export { ${name} } from ${JSON.stringify(file.replace(/\.(ts|js)$/, ''))};`,
    );
    fs.writeFileSync(entry, lines.join('\n') + '\n');
    const nodeModules = this.options.nodeModules;
    return bundleWorkflowCode({
      workflowsPath: entry,
      webpackConfigHook: (config) => {
        const resolve = config.resolve ?? {};
        resolve.modules = [...(resolve.modules ?? ['node_modules']), nodeModules];
        return { ...config, resolve };
      },
      // webpack's report of each bundle goes to tripwire's log at debug; its warnings and errors still show.
      logger: sdkLogger(this.logger),
      ...(this.options.tracing ? { workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS] } : {}),
    });
  }

  private async create(workflowBundle: WorkflowBundle, signature: string) {
    const worker = await Worker.create({
      connection: this.connection!,
      namespace: this.options.namespace,
      taskQueue: this.options.pool,
      workflowBundle,
      shutdownGraceTime: '10 seconds',
      ...(this.options.tracing ? flowTracingWorkerOptions(this.options.tracing) : {}),
    });
    const done = worker.run();
    return { worker, done, signature };
  }

  private async shutdown(entry: { worker: Worker; done: Promise<void> } | undefined): Promise<void> {
    if (!entry) return;
    if (entry.worker.getState() === 'RUNNING') entry.worker.shutdown();
    await entry.done.catch((error: unknown) =>
      this.logger.warn('pool worker stopped with an error', { error: (error as Error).message }),
    );
  }
}
