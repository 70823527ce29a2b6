// Flow-run records: a run is created in state Scheduled (with its scheduled start) and moved from state to state by its
// workflow's local activity; each change is stored with its `prefect.flow-run.*` events (state-events.ts) in one
// transaction. Creation is idempotent by key, so a retried action never records a deployment's run twice. Nothing here
// talks to Temporal: flow-run-starter.ts starts and cancels the runs' workflows.
import crypto from 'node:crypto';
import type { StateType } from '../../core/deployments/flow-run-states';
import { derivedId } from '../../core/ids';
import type { DeploymentRecord, DeploymentRepository } from '../../db/deployments';
import {
  type CreatedBy,
  type FlowRunFilter,
  type FlowRunRecord,
  type FlowRunRepository,
  type FlowRunState,
  TERMINAL_STATES,
  type TriggeredBy,
} from '../../db/flow-runs';
import {
  type RecordFlowRunStatesInput,
  runningState,
  type SetFlowRunStateInput,
} from '../../workflows/activity-contracts';
import { flowRunWorkflowId } from '../../workflows/ids';
import type { IngestPipeline } from '../events/pipeline';
import type { Metrics } from '../metrics/metrics';
import { entrypointExport } from './entrypoints';
import { enterStates, stateId } from './flow-run-transitions';
import { flowRunStateEvent } from './state-events';

export interface CreateFlowRunInput {
  deployment: DeploymentRecord;
  parameters: Record<string, unknown>;
  scheduleAfterSeconds: number;
  idempotencyKey?: string;
  createdBy?: CreatedBy;
  /** The automation firing that asked for the run, when one did. */
  triggeredBy?: TriggeredBy;
}

/** A state change reported by a run's workflow. */
export type TransitionInput = SetFlowRunStateInput;
export type { StateType };

/** Tries at a state change whose run keeps moving under it (another writer's change came in between). */
const MAX_TRIES = 10;
/** How long a deployment read for a state event is reused: a run's states come in bursts. */
const DEPLOYMENT_CACHE_MS = 2000;

/** Stores flow runs and their state changes, with the events those changes emit. */
export class FlowRunRecords {
  private readonly deploymentCache = new Map<string, { at: number; deployment: DeploymentRecord | undefined }>();

  constructor(
    private readonly runs: FlowRunRepository,
    private readonly deployments: DeploymentRepository,
    private readonly pipeline: IngestPipeline,
    private readonly options: { resultMaxBytes: number; metrics?: Pick<Metrics, 'flowRunTransitions'> } = {
      resultMaxBytes: 512 * 1024,
    },
  ) {}

  /** Records the run in state Scheduled, or returns the one with the same idempotency key. */
  async create(input: CreateFlowRunInput): Promise<{ run: FlowRunRecord; created: boolean }> {
    const { deployment } = input;
    const now = new Date();
    const id = input.idempotencyKey ? derivedId('flow-run', input.idempotencyKey) : crypto.randomUUID();
    const scheduled = new Date(now.getTime() + input.scheduleAfterSeconds * 1000).toISOString();
    const state: FlowRunState = {
      id: stateId(id, 'Scheduled'),
      type: 'SCHEDULED',
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
      triggered_by: input.triggeredBy ?? null,
      tags: deployment.tags,
      workflow_id: flowRunWorkflowId(deployment.name, id),
      created: now.toISOString(),
      updated: now.toISOString(),
    };
    const event = flowRunStateEvent(record, state, null, deployment);
    const { rows, routed } = this.pipeline.rowsFor(this.pipeline.validate([event], false));
    const result = await this.runs.create(record, rows);
    if (result.created) {
      this.options.metrics?.flowRunTransitions.inc({ state: state.type });
      this.pipeline.storedElsewhere(rows.length, routed);
    }
    return result;
  }

  /** Records one state change reported by the run's workflow (runs started before states were batched). */
  async transition(input: TransitionInput): Promise<void> {
    const { flowRunId, ...change } = input;
    await this.record({ flowRunId, states: [change] });
  }

  /**
   * Moves the run through `states` in one write, with their events; a terminal run does not change again, and a
   * state it already entered is skipped, so a retried report changes nothing.
   */
  async record({ flowRunId, states }: RecordFlowRunStatesInput): Promise<void> {
    for (let tries = 0; tries < MAX_TRIES; tries += 1) {
      const run = await this.runs.get(flowRunId);
      if (!run) return;
      const { next, entered } = enterStates(run, states, new Date(), this.options.resultMaxBytes);
      if (entered.length === 0) return;
      const deployment = await this.deploymentOf(run);
      const events = entered.map(({ state, previous }) => flowRunStateEvent(next, state, previous, deployment));
      const { rows, routed } = this.pipeline.rowsFor(this.pipeline.validate(events, true));
      if (await this.runs.update(run, next, rows)) {
        for (const { state } of entered) this.options.metrics?.flowRunTransitions.inc({ state: state.type });
        this.pipeline.storedElsewhere(rows.length, routed);
        return;
      }
    }
    throw new Error(`flow run ${flowRunId} kept changing while its new state was recorded; try again`);
  }

  /** Records that attempt `attempt` of the run's flow started (Running, or Retrying), as a worker reports it. */
  async started(flowRunId: string, attempt: number): Promise<void> {
    await this.record({ flowRunId, states: [runningState(attempt)] });
  }

  /** Records the run Completed with what attempt `attempt` of its flow returned (Running first, if not yet). */
  async completed(
    flowRunId: string,
    attempt: number,
    ended: { result: unknown } | { omittedResultBytes: number },
  ): Promise<void> {
    await this.record({
      flowRunId,
      states: [runningState(attempt), { type: 'COMPLETED', name: 'Completed', ...ended }],
    });
  }

  /** True when the run is in a terminal state (or gone). */
  async ended(flowRunId: string): Promise<boolean> {
    const run = await this.runs.get(flowRunId);
    return !run || TERMINAL_STATES.has(run.state.type);
  }

  get(id: string): Promise<FlowRunRecord | undefined> {
    return this.runs.get(id);
  }

  list(filter: FlowRunFilter): Promise<FlowRunRecord[]> {
    return this.runs.list(filter);
  }

  /** Counts the runs in each of `states` (states with no run are left out). */
  countByState(states: readonly string[]): Promise<Record<string, number>> {
    return this.runs.countByState(states);
  }

  /** Runs still Scheduled whose start was before `before`. */
  overdue(before: string, limit: number): Promise<FlowRunRecord[]> {
    return this.runs.overdue(before, limit);
  }

  private async deploymentOf(run: FlowRunRecord): Promise<DeploymentRecord | undefined> {
    if (!run.deployment_id) return undefined;
    const cached = this.deploymentCache.get(run.deployment_id);
    if (cached && Date.now() - cached.at < DEPLOYMENT_CACHE_MS) return cached.deployment;
    const deployment = await this.deployments.get(run.deployment_id);
    if (this.deploymentCache.size > 1000) this.deploymentCache.clear();
    this.deploymentCache.set(run.deployment_id, { at: Date.now(), deployment });
    return deployment;
  }
}
