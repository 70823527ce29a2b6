// Flow-run records: a run is created in state Scheduled (with its scheduled start) and moved from state to state by its
// workflow's activity, each change stored with its `prefect.flow-run.*` event (state-events.ts). Creation is
// idempotent by key, so a retried action never records a deployment's run twice. Nothing here talks to Temporal:
// flow-run-starter.ts starts and cancels the runs' workflows.
import crypto from 'node:crypto';
import type { StateType } from '../../core/deployments/flow-run-states';
import { derivedId } from '../../core/ids';
import type { DeploymentRecord, DeploymentRepository } from '../../db/deployments';
import {
  type CreatedBy,
  type FlowRunFilter,
  type FlowRunRecord,
  type FlowRunRepository,
  TERMINAL_STATES,
  type TriggeredBy,
} from '../../db/flow-runs';
import type { SetFlowRunStateInput } from '../../workflows/activity-contracts';
import { flowRunWorkflowId } from '../../workflows/ids';
import type { IngestPipeline } from '../events/pipeline';
import type { Metrics } from '../metrics/metrics';
import { entrypointExport } from './entrypoints';
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

/** Stores flow runs and their state changes, with the events those changes emit. */
export class FlowRunRecords {
  constructor(
    private readonly runs: FlowRunRepository,
    private readonly deployments: DeploymentRepository,
    private readonly pipeline: IngestPipeline,
    private readonly metrics?: Pick<Metrics, 'flowRunTransitions'>,
  ) {}

  /** Records the run in state Scheduled, or returns the one with the same idempotency key. */
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
      triggered_by: input.triggeredBy ?? null,
      tags: deployment.tags,
      workflow_id: flowRunWorkflowId(deployment.name, id),
      created: now.toISOString(),
      updated: now.toISOString(),
    };
    const result = await this.runs.create(record);
    if (result.created) {
      this.metrics?.flowRunTransitions.inc({ state: state.type });
      await this.emit(result.run, state, null);
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
    if (changed) {
      this.metrics?.flowRunTransitions.inc({ state: state.type });
      await this.emit(changed.run, state, changed.previous);
    }
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

  private async emit(
    run: FlowRunRecord,
    state: FlowRunRecord['state'],
    previous: FlowRunRecord['state'] | null,
  ): Promise<void> {
    const deployment = run.deployment_id ? await this.deployments.get(run.deployment_id) : undefined;
    const event = flowRunStateEvent(run, state, previous, deployment);
    await this.pipeline.emit([event]);
  }
}
