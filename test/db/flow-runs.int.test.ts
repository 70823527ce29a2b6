// The flow-run repository on both databases: what triggered a run survives the round trip, runs stored before the
// column existed read as untriggered, and the list matches state names whatever their case.
import { sql } from 'kysely';
import { type FlowRunRecord, FlowRunRepository } from '../../db/flow-runs';
import { migrate } from '../../db/migrations/index';
import { createTestDb, DIALECTS, type TestDb } from '../helpers/db';

const record = (id: string, stateName: string, triggered: boolean): FlowRunRecord => {
  const state = {
    id: `${id}-state`,
    type: stateName === 'Late' ? ('SCHEDULED' as const) : ('COMPLETED' as const),
    name: stateName,
    timestamp: '2026-01-01T00:00:00.000Z',
    message: null,
  };
  return {
    id,
    name: `etl-${id}`,
    deployment_id: 'd1',
    flow_name: 'etl',
    work_pool: 'default',
    parameters: { n: 1 },
    state,
    state_history: [state],
    expected_start_time: state.timestamp,
    start_time: null,
    end_time: null,
    result: null,
    error: null,
    idempotency_key: null,
    created_by: triggered ? { type: 'AUTOMATION', id: 'a1', display_value: 'etl__automation_1' } : null,
    triggered_by: triggered
      ? {
          automation_id: 'a1',
          automation_name: 'etl__automation_1',
          firing_id: 'f1',
          event: { id: 'e2', event: 'x.replied', occurred: '2026-01-01T00:00:00.000Z', resource_id: 'x' },
          events: [{ id: 'e1', event: 'x.pinged', occurred: '2025-12-31T23:59:59.000Z', resource_id: 'x' }],
        }
      : null,
    tags: [],
    workflow_id: `run/etl/${id}`,
    created: state.timestamp,
    updated: state.timestamp,
  };
};

describe.each(DIALECTS)('FlowRunRepository on %s', (dialect) => {
  let t: TestDb;
  let runs: FlowRunRepository;

  beforeEach(async () => {
    t = await createTestDb(dialect);
    runs = new FlowRunRepository(t.db);
  });
  afterEach(() => t.drop());

  it('keeps what triggered a run, and null for a run nothing triggered', async () => {
    await runs.create(record('r1', 'Completed', true));
    await runs.create(record('r2', 'Completed', false));
    expect((await runs.get('r1'))?.triggered_by).toEqual(record('r1', 'Completed', true).triggered_by);
    expect((await runs.get('r2'))?.triggered_by).toBeNull();
  });

  it('adds triggered_by to a database that had runs before it, which read as untriggered', async () => {
    // The database before 0006, with a run in it.
    await sql`alter table flow_runs drop column triggered_by`.execute(t.db.kysely);
    await sql`delete from tripwire_migrations where name = '0006-flow-run-triggers'`.execute(t.db.kysely);
    await sql`insert into flow_runs (id, name, deployment_id, flow_name, work_pool, parameters, state_type, state_name,
      state_timestamp, state_id, state_history, tags, workflow_id, created, updated)
      values ('old', 'etl-old', 'd1', 'etl', 'default', '{}', 'COMPLETED', 'Completed', '2025-01-01T00:00:00.000Z',
      's', '[]', '[]', 'run/etl/old', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`.execute(t.db.kysely);

    expect(await migrate(t.db)).toEqual(['0006-flow-run-triggers']);
    expect((await runs.get('old'))?.triggered_by).toBeNull();
  });

  it('lists runs by state name in any case, several at once, and by state type', async () => {
    await runs.create(record('done', 'Completed', false));
    await runs.create(record('late', 'Late', false));
    const ids = async (filter: Parameters<FlowRunRepository['list']>[0]) =>
      (await runs.list(filter)).map((r) => r.id).sort();
    expect(await ids({ stateNames: ['completed'] })).toEqual(['done']);
    expect(await ids({ stateNames: ['LATE', 'Completed'] })).toEqual(['done', 'late']);
    expect(await ids({ stateNames: ['Scheduled'] })).toEqual([]);
    expect(await ids({ stateType: 'scheduled' })).toEqual(['late']);
    expect(await ids({ deploymentId: 'd2', stateNames: ['Late'] })).toEqual([]);
  });
});
