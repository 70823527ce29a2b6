// Flow runs as tripwire sees them: the current state, its history, timing, and the result or error, kept in step with
// the run's workflow by the flow-run activities.
import { type Kysely, type Selectable, sql } from 'kysely';
import { type StateType, TERMINAL_STATES } from '../core/deployments/flow-run-states';
export { type StateType, TERMINAL_STATES };
import type { Db } from './connect';
import type { EventRow } from './event-writes';
import { type FlowRunWriteApi, FlowRunWrites } from './flow-run-writes';
import type { Database, FlowRunsTable } from './tables';

export interface FlowRunState {
  id: string;
  type: StateType;
  name: string;
  timestamp: string;
  message: string | null;
}

export interface CreatedBy {
  type: 'AUTOMATION' | 'DEPLOYMENT' | 'USER';
  id: string | null;
  display_value: string | null;
}

/** A triggering event as a run remembers it: enough to find it in the feed and to say what it was. */
export interface TriggeringEventSummary {
  id: string;
  event: string;
  occurred: string;
  resource_id: string;
}

/**
 * What made an automation run the deployment: the automation, the firing and its events. For a composite trigger
 * `events` holds the event of each child firing (oldest first); `event` is the firing's own triggering event.
 */
export interface TriggeredBy {
  automation_id: string;
  automation_name: string;
  firing_id: string;
  event: TriggeringEventSummary | null;
  events: TriggeringEventSummary[];
}

export interface FlowRunRecord {
  id: string;
  name: string;
  deployment_id: string | null;
  flow_name: string;
  work_pool: string;
  parameters: Record<string, unknown>;
  state: FlowRunState;
  state_history: FlowRunState[];
  expected_start_time: string | null;
  start_time: string | null;
  end_time: string | null;
  result: unknown;
  error: string | null;
  idempotency_key: string | null;
  created_by: CreatedBy | null;
  /** Set when a run-deployment action created the run. */
  triggered_by: TriggeredBy | null;
  tags: string[];
  workflow_id: string;
  created: string;
  updated: string;
}

/** Which runs `list` returns. */
export interface FlowRunFilter {
  deploymentId?: string;
  stateType?: string;
  stateNames?: string[];
  limit?: number;
}

/** Storage of flow runs. Writes store the run's state events in the same transaction. */
export class FlowRunRepository {
  private readonly db: Kysely<Database>;
  private readonly writes: FlowRunWriteApi;

  constructor(handle: Db) {
    this.db = handle.kysely;
    this.writes = handle.eventWriter ?? new FlowRunWrites(handle.kysely);
  }

  /**
   * Inserts `record` with `events` unless a run with its id or idempotency key exists; returns the stored run and
   * whether it was created (the events are stored only then).
   */
  async create(record: FlowRunRecord, events: EventRow[] = []): Promise<{ run: FlowRunRecord; created: boolean }> {
    if (await this.writes.insertRun(toRow(record), events)) return { run: record, created: true };
    const existing = record.idempotency_key ? await this.byIdempotencyKey(record.idempotency_key) : undefined;
    const run = existing ?? (await this.get(record.id));
    if (!run) throw new Error(`flow run ${record.id} was neither inserted nor found`);
    return { run, created: false };
  }

  /**
   * Replaces the run's state (and history, timing, result and error) with those of `next`, with `events`, if its state
   * is still that of `current`. Returns false, writing nothing, when it moved meanwhile.
   */
  async update(current: FlowRunRecord, next: FlowRunRecord, events: EventRow[]): Promise<boolean> {
    const row = toRow(next);
    return this.writes.updateRunState(
      current.id,
      current.state.id,
      {
        state_type: row.state_type,
        state_name: row.state_name,
        state_timestamp: row.state_timestamp,
        state_message: row.state_message,
        state_id: row.state_id,
        state_history: row.state_history,
        expected_start_time: row.expected_start_time,
        start_time: row.start_time,
        end_time: row.end_time,
        result: row.result,
        error: row.error,
        updated: row.updated,
      },
      events,
    );
  }

  async get(id: string): Promise<FlowRunRecord | undefined> {
    const row = await this.db.selectFrom('flow_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async byIdempotencyKey(key: string): Promise<FlowRunRecord | undefined> {
    const row = await this.db.selectFrom('flow_runs').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Runs newest first; `stateNames` match whatever their case (`completed` finds Completed). */
  async list(filter: FlowRunFilter): Promise<FlowRunRecord[]> {
    let query = this.db
      .selectFrom('flow_runs')
      .selectAll()
      .orderBy('created', 'desc')
      .limit(filter.limit ?? 200);
    if (filter.deploymentId) query = query.where('deployment_id', '=', filter.deploymentId);
    if (filter.stateType) query = query.where('state_type', '=', filter.stateType.toUpperCase());
    if (filter.stateNames?.length)
      query = query.where(
        sql<string>`lower(state_name)`,
        'in',
        filter.stateNames.map((name) => name.toLowerCase()),
      );
    return (await query.execute()).map(fromRow);
  }

  /** Counts the runs in each of `states` (through the state index; states with no run are left out). */
  async countByState(states: readonly string[]): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('flow_runs')
      .select(['state_type', (eb) => eb.fn.countAll<number>().as('count')])
      .where('state_type', 'in', [...states])
      .groupBy('state_type')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.state_type, Number(row.count)]));
  }

  /** Runs still Scheduled although they were due to start before `before` (ISO), oldest first. */
  async overdue(before: string, limit: number): Promise<FlowRunRecord[]> {
    const rows = await this.db
      .selectFrom('flow_runs')
      .selectAll()
      .where('state_type', '=', 'SCHEDULED')
      // Late and AwaitingRetry are Scheduled-type states of runs whose workflow is already running.
      .where('state_name', '=', 'Scheduled')
      .where('expected_start_time', '<', before)
      .orderBy('expected_start_time')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }
}

function toRow(record: FlowRunRecord): FlowRunsTable {
  return {
    id: record.id,
    name: record.name,
    deployment_id: record.deployment_id,
    flow_name: record.flow_name,
    work_pool: record.work_pool,
    parameters: JSON.stringify(record.parameters),
    state_type: record.state.type,
    state_name: record.state.name,
    state_timestamp: record.state.timestamp,
    state_message: record.state.message,
    state_id: record.state.id,
    state_history: JSON.stringify(record.state_history),
    expected_start_time: record.expected_start_time,
    start_time: record.start_time,
    end_time: record.end_time,
    result: record.result === undefined || record.result === null ? null : JSON.stringify(record.result),
    error: record.error,
    idempotency_key: record.idempotency_key,
    created_by: record.created_by ? JSON.stringify(record.created_by) : null,
    triggered_by: record.triggered_by ? JSON.stringify(record.triggered_by) : null,
    tags: JSON.stringify(record.tags),
    workflow_id: record.workflow_id,
    created: record.created,
    updated: record.updated,
  };
}

function fromRow(row: Selectable<FlowRunsTable>): FlowRunRecord {
  return {
    id: row.id,
    name: row.name,
    deployment_id: row.deployment_id,
    flow_name: row.flow_name,
    work_pool: row.work_pool,
    parameters: JSON.parse(row.parameters) as Record<string, unknown>,
    state: {
      id: row.state_id,
      type: row.state_type as StateType,
      name: row.state_name,
      timestamp: row.state_timestamp,
      message: row.state_message,
    },
    state_history: JSON.parse(row.state_history) as FlowRunState[],
    expected_start_time: row.expected_start_time,
    start_time: row.start_time,
    end_time: row.end_time,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error,
    idempotency_key: row.idempotency_key,
    created_by: row.created_by ? (JSON.parse(row.created_by) as CreatedBy) : null,
    triggered_by: row.triggered_by ? (JSON.parse(row.triggered_by) as TriggeredBy) : null,
    tags: JSON.parse(row.tags) as string[],
    workflow_id: row.workflow_id,
    created: row.created,
    updated: row.updated,
  };
}
