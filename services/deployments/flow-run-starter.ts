// Starting and cancelling flow runs' workflows: a run is recorded (flow-run-records.ts), then its flow-run workflow is
// started under a deterministic id, so a retried creation never starts it twice. While Temporal is down a recorded
// run stays Scheduled and its start is retried; a starting process adopts every run whose start may have been lost.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { DeploymentRecord, DeploymentRepository } from '../../db/deployments';
import { type FlowRunRecord, TERMINAL_STATES } from '../../db/flow-runs';
import type { Logger } from '../logging/logger';
import { isTemporalOutage } from '../temporal/outage';
import type { flowRunWorkflowV2 } from '../../workflows/flow-run';
import type { FlowRunWorkflowInput } from '../../workflows/messages';
import { entrypointExport, entrypointFile } from './entrypoints';
import { deploymentNameKey, flowRunIdKey } from '../../workflows/search-attributes';
import type { CreateFlowRunInput, FlowRunRecords } from './flow-run-records';
import { TripwireError } from '../../core/errors';

/** Thrown when a run cannot be cancelled because it already ended. */
export class FlowRunFinishedError extends TripwireError {
  constructor(readonly run: FlowRunRecord) {
    super('CONFLICT', `flow run ${run.id} is already ${run.state.name}`);
    this.name = 'FlowRunFinishedError';
  }
}

/** How long one call to start or cancel a run's workflow may take before it counts as Temporal being down. */
const START_DEADLINE_MS = 5000;
/** How often runs whose workflow could not be started are tried again. */
const START_RETRY_MS = 5000;
/** Most Scheduled runs looked at when the service starts, or per look for overdue ones. */
const RESUME_LIMIT = 10_000;
/**
 * How often, and how late, a run still Scheduled past its start is looked for. Its workflow records Pending as soon
 * as the start comes, so such a run either lost its start in another process (a worker that stopped during an
 * outage) or waits for tripwire's worker; starting it again is refused as a duplicate then, and changes nothing.
 */
const OVERDUE_EVERY_MS = 60_000;
const OVERDUE_AFTER_MS = 60_000;

/** What every run's workflow is told besides its deployment's settings. */
export interface FlowRunDefaults {
  /** Seconds after its scheduled start at which a run nothing has picked up turns Late. */
  lateAfterSeconds: number;
  /** Largest flow result stored, in bytes of JSON. */
  resultMaxBytes: number;
}

/** Creates flow runs and starts, retries and cancels their workflows. */
export class FlowRunStarter {
  /** Runs recorded while Temporal was down, by id, with their deployment: started once it answers. */
  private readonly unstarted = new Map<string, { deployment: DeploymentRecord | undefined }>();
  /** A client on the connection of this process's worker, which starts runs eagerly (see startEagerly). */
  private eager: Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private overdueTimer: NodeJS.Timeout | undefined;
  private retrying = false;

  constructor(
    private readonly runs: FlowRunRecords,
    private readonly deployments: DeploymentRepository,
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger: Logger,
    private readonly defaults: FlowRunDefaults = { lateAfterSeconds: 15, resultMaxBytes: 512 * 1024 },
  ) {}

  /**
   * Makes sure every Scheduled run has its workflow (one recorded just before a crash or during an outage may not),
   * then keeps retrying those that could not be started, in the background, until stop().
   */
  async resumeStarts(): Promise<void> {
    await this.adopt(await this.runs.list({ stateType: 'SCHEDULED', limit: RESUME_LIMIT }));
    this.keepRetrying();
    this.watchOverdue();
  }

  /** Adds `runs` to those whose workflow is started (again) now and, while Temporal is down, every few seconds. */
  private async adopt(runs: FlowRunRecord[]): Promise<void> {
    if (runs.length === 0) return;
    const deployments = new Map((await this.deployments.list()).map((d) => [d.id, d]));
    for (const run of runs) {
      if (run.state.name !== 'Scheduled') continue; // Late or AwaitingRetry: its workflow runs
      this.unstarted.set(run.id, { deployment: run.deployment_id ? deployments.get(run.deployment_id) : undefined });
    }
    await this.retryStarts();
  }

  private keepRetrying(): void {
    this.retryTimer ??= setInterval(() => void this.retryStarts(), START_RETRY_MS);
    this.retryTimer.unref();
  }

  /** Looks for overdue Scheduled runs every minute, until stop(); resumeStarts() does this. */
  private watchOverdue(): void {
    this.overdueTimer ??= setInterval(() => void this.adoptOverdue(), OVERDUE_EVERY_MS);
    this.overdueTimer.unref();
  }

  /** Adds the runs that should have started a minute ago but are still Scheduled to those retried. */
  async adoptOverdue(now = Date.now()): Promise<void> {
    try {
      await this.adopt(await this.runs.overdue(new Date(now - OVERDUE_AFTER_MS).toISOString(), RESUME_LIMIT));
    } catch (error) {
      this.logger.warn('could not look for overdue flow runs; will retry', { error: (error as Error).message });
    }
  }

  stop(): void {
    clearInterval(this.retryTimer);
    clearInterval(this.overdueTimer);
    this.retryTimer = undefined;
    this.overdueTimer = undefined;
  }

  /**
   * Starts runs' workflows through `client`, a client on the NativeConnection of a worker of tripwire's task queue in
   * this process, asking for eager start: Temporal hands the run's first workflow task back in its answer to the start,
   * to that worker, instead of queueing it for the next poll. Without it, new workflows' first tasks waited for the
   * worker's few non-sticky pollers (seconds at 50 runs/s). `undefined` goes back to the ordinary client.
   */
  startEagerly(client: Client | undefined): void {
    this.eager = client;
  }

  /** Ids of the runs waiting for Temporal to start their workflow. */
  get waitingToStart(): string[] {
    return [...this.unstarted.keys()];
  }

  /** Creates the run (or returns the one with the same idempotency key) and makes sure its workflow runs. */
  async create(input: CreateFlowRunInput): Promise<{ run: FlowRunRecord; created: boolean }> {
    const { deployment } = input;
    const result = await this.runs.create(input);
    try {
      await this.startWorkflow(result.run, deployment);
    } catch (error) {
      if (!isTemporalOutage(error)) throw error;
      // The run is recorded and Scheduled, as a Prefect run waits for its worker; it starts when Temporal answers.
      this.unstarted.set(result.run.id, { deployment });
      this.keepRetrying();
      this.logger.warn('flow run recorded; its workflow starts once Temporal answers', {
        flow_run: result.run.id,
        error: (error as Error).message,
      });
    }
    return result;
  }

  /** Asks the run to stop: a scheduled run never starts, a running one is cancelled. Returns the run. */
  async cancel(id: string): Promise<FlowRunRecord | undefined> {
    const run = await this.runs.get(id);
    if (!run) return undefined;
    if (TERMINAL_STATES.has(run.state.type)) throw new FlowRunFinishedError(run);
    try {
      await this.client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.client.workflow.getHandle(run.workflow_id).cancel(),
      );
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      await this.runs.transition({
        flowRunId: id,
        type: 'CANCELLED',
        name: 'Cancelled',
        message: 'cancelled (no workflow was running)',
      });
    }
    // The workflow records Cancelled within a moment; answer with it when it is there.
    for (let i = 0; i < 50; i += 1) {
      const current = await this.runs.get(id);
      if (current && TERMINAL_STATES.has(current.state.type)) return current;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.runs.get(id);
  }

  private async retryStarts(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      for (const [id, { deployment }] of this.unstarted) {
        // Read again: a run cancelled meanwhile is not started.
        const run = await this.runs.get(id);
        try {
          if (run) await this.startWorkflow(run, deployment);
          this.unstarted.delete(id);
        } catch (error) {
          if (isTemporalOutage(error)) return; // still down: the next round tries them all again
          this.unstarted.delete(id);
          this.logger.error('could not start a flow run workflow', { flow_run: id, error: (error as Error).message });
        }
      }
    } catch (error) {
      this.logger.warn('could not read flow runs waiting to start; will retry', { error: (error as Error).message });
    } finally {
      this.retrying = false;
    }
  }

  private async startWorkflow(run: FlowRunRecord, deployment: DeploymentRecord | undefined): Promise<void> {
    if (TERMINAL_STATES.has(run.state.type)) return;
    const client = this.eager ?? this.client;
    // A run due now is handed to its pool as its workflow starts: Pending is recorded here, beside the workflow's
    // first task rather than inside it, so the flow reaches its pool one write sooner.
    const due = Date.parse(run.expected_start_time ?? run.created) <= Date.now();
    try {
      await client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        client.workflow.start<typeof flowRunWorkflowV2>('flowRunWorkflowV2', {
          workflowId: run.workflow_id,
          taskQueue: this.taskQueue,
          requestEagerStart: client === this.eager,
          args: [{ ...this.workflowInput(run, deployment), ...(due ? { pendingRecorded: true } : {}) }],
          // A run's workflow runs once: a retried creation must never start it again after it finished.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: [
            { key: flowRunIdKey, value: run.id },
            // A run whose deployment is gone keeps its own name.
            { key: deploymentNameKey, value: deployment?.name ?? run.name },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    // Also after a duplicate start: the first may have stopped before this write. A run past Scheduled is left alone.
    if (due) await this.runs.record({ flowRunId: run.id, states: [{ type: 'PENDING', name: 'Pending' }] });
  }

  /** The run's workflow input: the run, and how its deployment says to run it. */
  private workflowInput(run: FlowRunRecord, deployment: DeploymentRecord | undefined): FlowRunWorkflowInput {
    const kind = deployment?.entrypoint_type ?? 'workflow';
    return {
      flowRunId: run.id,
      flowName: deployment ? entrypointExport(deployment.entrypoint) : run.flow_name,
      workPool: run.work_pool,
      parameters: run.parameters,
      scheduledStart: run.expected_start_time ?? run.created,
      kind,
      ...(kind === 'function' && deployment
        ? {
            entrypoint: `${entrypointFile(deployment.entrypoint, deployment.base_dir)}:${entrypointExport(deployment.entrypoint)}`,
          }
        : {}),
      retries: deployment?.retries ?? 0,
      retryDelaySeconds: deployment?.retry_delay_seconds ?? 0,
      ...(deployment?.timeout_seconds ? { timeoutSeconds: deployment.timeout_seconds } : {}),
      lateAfterSeconds: this.defaults.lateAfterSeconds,
      resultMaxBytes: this.defaults.resultMaxBytes,
    };
  }
}
