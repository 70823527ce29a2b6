// Starting and cancelling flow runs' workflows: a run is recorded (flow-run-records.ts), then its flow-run workflow is
// started under a deterministic id, so a retried creation never starts it twice. While Temporal is down a recorded
// run stays Scheduled and its start is retried; a starting process adopts every run whose start may have been lost.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { DeploymentRepository } from '../../db/deployments';
import { type FlowRunRecord, TERMINAL_STATES } from '../../db/flow-runs';
import type { Logger } from '../logging/logger';
import { isTemporalOutage } from '../temporal/outage';
import type { flowRunWorkflow } from '../../workflows/flow-run';
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

/** Creates flow runs and starts, retries and cancels their workflows. */
export class FlowRunStarter {
  /** Runs recorded while Temporal was down, by id, with their deployment's name: started once it answers. */
  private readonly unstarted = new Map<string, { deploymentName: string }>();
  private retryTimer: NodeJS.Timeout | undefined;
  private overdueTimer: NodeJS.Timeout | undefined;
  private retrying = false;

  constructor(
    private readonly runs: FlowRunRecords,
    private readonly deployments: DeploymentRepository,
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger: Logger,
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
    const names = new Map((await this.deployments.list()).map((d) => [d.id, d.name]));
    for (const run of runs) this.unstarted.set(run.id, { deploymentName: deploymentNameOf(run, names) });
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

  /** Ids of the runs waiting for Temporal to start their workflow. */
  get waitingToStart(): string[] {
    return [...this.unstarted.keys()];
  }

  /** Creates the run (or returns the one with the same idempotency key) and makes sure its workflow runs. */
  async create(input: CreateFlowRunInput): Promise<{ run: FlowRunRecord; created: boolean }> {
    const { deployment } = input;
    const result = await this.runs.create(input);
    try {
      await this.startWorkflow(result.run, deployment.name);
    } catch (error) {
      if (!isTemporalOutage(error)) throw error;
      // The run is recorded and Scheduled, as a Prefect run waits for its worker; it starts when Temporal answers.
      this.unstarted.set(result.run.id, { deploymentName: deployment.name });
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
      for (const [id, { deploymentName }] of this.unstarted) {
        // Read again: a run cancelled meanwhile is not started.
        const run = await this.runs.get(id);
        try {
          if (run) await this.startWorkflow(run, deploymentName);
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

  private async startWorkflow(run: FlowRunRecord, deploymentName: string): Promise<void> {
    if (TERMINAL_STATES.has(run.state.type)) return;
    try {
      await this.client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.client.workflow.start<typeof flowRunWorkflow>('flowRunWorkflow', {
          workflowId: run.workflow_id,
          taskQueue: this.taskQueue,
          args: [
            {
              flowRunId: run.id,
              flowName: run.flow_name,
              workPool: run.work_pool,
              parameters: run.parameters,
              scheduledStart: run.expected_start_time ?? run.created,
            },
          ],
          // A run's workflow runs once: a retried creation must never start it again after it finished.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: [
            { key: flowRunIdKey, value: run.id },
            { key: deploymentNameKey, value: deploymentName },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
}

/** The deployment name a run's workflow is labelled with; a run whose deployment is gone keeps its own name. */
function deploymentNameOf(run: FlowRunRecord, names: Map<string, string>): string {
  return (run.deployment_id && names.get(run.deployment_id)) || run.name;
}
