// Flow runs: created in state Scheduled (at once, with their scheduled start), driven by a flow-run workflow, moved
// from state to state by that workflow's activity, cancellable until they end. Creation is idempotent by key, so a
// retried action never starts a deployment twice.
import crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import { derivedId } from '../activities/derived-ids';
import type { DeploymentRecord, DeploymentRepository } from '../db/deployments';
import {
  type CreatedBy,
  type FlowRunRecord,
  type FlowRunRepository,
  type StateType,
  TERMINAL_STATES,
} from '../db/flow-runs';
import type { IngestPipeline } from '../ingest/pipeline';
import type { Logger } from '../logging/logger';
import { isTemporalOutage } from '../temporal/outage';
import type { flowRunWorkflow } from '../workflows/flow-run';
import { flowRunWorkflowId } from '../workflows/ids';
import { deploymentNameKey, flowRunIdKey } from '../workflows/search-attributes';
import { flowRunStateEvent } from './state-events';
import { entrypointExport } from './entrypoints';

export interface CreateFlowRunInput {
  deployment: DeploymentRecord;
  parameters: Record<string, unknown>;
  scheduleAfterSeconds: number;
  idempotencyKey?: string;
  createdBy?: CreatedBy;
}

export interface TransitionInput {
  flowRunId: string;
  type: StateType;
  name: string;
  message?: string;
  result?: unknown;
}

/** Thrown when a run cannot be cancelled because it already ended. */
export class FlowRunFinishedError extends Error {
  constructor(readonly run: FlowRunRecord) {
    super(`flow run ${run.id} is already ${run.state.name}`);
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

/** Creates, advances, cancels and reads flow runs. */
export class FlowRunService {
  /** Runs recorded while Temporal was down, by id, with their deployment's name: started once it answers. */
  private readonly unstarted = new Map<string, { deploymentName: string }>();
  private retryTimer: NodeJS.Timeout | undefined;
  private overdueTimer: NodeJS.Timeout | undefined;
  private retrying = false;

  constructor(
    private readonly runs: FlowRunRepository,
    private readonly deployments: DeploymentRepository,
    private readonly pipeline: IngestPipeline,
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
    const now = new Date();
    const id = input.idempotencyKey ? derivedId('flow-run', input.idempotencyKey) : crypto.randomUUID();
    const scheduled = new Date(now.getTime() + input.scheduleAfterSeconds * 1000).toISOString();
    const state = {
      id: derivedId(id, 'state', 'Scheduled'),
      type: 'SCHEDULED' as const,
      name: 'Scheduled',
      timestamp: now.toISOString(),
      message: null,
    };
    const record: FlowRunRecord = {
      id,
      name: `${deployment.name}-${id.slice(0, 8)}`,
      deployment_id: deployment.id,
      flow_name: entrypointExport(deployment.entrypoint),
      work_pool: deployment.work_pool,
      parameters: input.parameters,
      state,
      state_history: [state],
      expected_start_time: scheduled,
      start_time: null,
      end_time: null,
      result: null,
      error: null,
      idempotency_key: input.idempotencyKey ?? null,
      created_by: input.createdBy ?? null,
      tags: deployment.tags,
      workflow_id: flowRunWorkflowId(deployment.name, id),
      created: now.toISOString(),
      updated: now.toISOString(),
    };
    const result = await this.runs.create(record);
    if (result.created) await this.emit(result.run, state, null);
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

  /** Records a state change reported by the run's workflow; a terminal run does not change again. */
  async transition(input: TransitionInput): Promise<void> {
    const now = new Date().toISOString();
    const state = {
      id: derivedId(input.flowRunId, 'state', input.name),
      type: input.type,
      name: input.name,
      timestamp: now,
      message: input.message ?? null,
    };
    const changed = await this.runs.transition(input.flowRunId, state, {
      ...(input.type === 'RUNNING' ? { start_time: now } : {}),
      ...(TERMINAL_STATES.has(input.type) ? { end_time: now } : {}),
      ...(input.type === 'COMPLETED' ? { result: input.result ?? null } : {}),
      ...(input.type === 'FAILED' || input.type === 'CRASHED' ? { error: input.message ?? input.name } : {}),
    });
    if (changed) await this.emit(changed.run, state, changed.previous);
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
      await this.transition({
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

  get(id: string): Promise<FlowRunRecord | undefined> {
    return this.runs.get(id);
  }

  list(filter: { deploymentId?: string; stateType?: string; limit?: number }): Promise<FlowRunRecord[]> {
    return this.runs.list(filter);
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

  private async emit(
    run: FlowRunRecord,
    state: FlowRunRecord['state'],
    previous: FlowRunRecord['state'] | null,
  ): Promise<void> {
    const deployment = run.deployment_id ? await this.deployments.get(run.deployment_id) : undefined;
    const event = flowRunStateEvent(run, state, previous, deployment);
    await this.pipeline.store(this.pipeline.validate([event], false));
  }
}

/** The deployment name a run's workflow is labelled with; a run whose deployment is gone keeps its own name. */
function deploymentNameOf(run: FlowRunRecord, names: Map<string, string>): string {
  return (run.deployment_id && names.get(run.deployment_id)) || run.name;
}
