// Run states mean what Prefect's mean, on a real Temporal server: a run nothing polls for stays Pending and turns Late
// once its scheduled start is TRIPWIRE_LATE_RUNS_AFTER behind it, and goes Running only when a worker picks it up
// and its code starts; each change emits its `prefect.flow-run.*` event.
import crypto from 'node:crypto';
import path from 'node:path';
import type { PoolWorker } from '../../../worker/pool-worker';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'flows');

interface FlowRun {
  id: string;
  state: { type: string; name: string; message: string | null };
  state_history: { type: string; name: string; timestamp: string }[];
  start_time: string | null;
}

describe('flow run states', () => {
  let tw: TestTripwire;
  const pools: PoolWorker[] = [];

  beforeAll(async () => {
    tw = await startTestTripwire({ env: { TRIPWIRE_LATE_RUNS_AFTER: '1' } });
  });
  afterAll(async () => {
    for (const pool of pools) await pool.stop();
    await tw.stop();
  });

  const getRun = async (id: string): Promise<FlowRun> => (await tw.api('GET', `/api/flow-runs/${id}`)).json();
  const waitForState = (id: string, name: string, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const run = await getRun(id);
        return run.state.name === name ? run : undefined;
      },
      timeoutMs,
      `flow run ${id} to be ${name}`,
    );

  it.each([
    ['workflow', 'test-flows.ts', 'echoFlow'],
    ['function', 'function-flows.ts', 'echoFunction'],
  ])(
    'keeps a %s flow nothing polls for Pending, then Late, and Running only once a worker takes it',
    async (type, file, fn) => {
      const poolName = `idle-${crypto.randomBytes(3).toString('hex')}`;
      const name = `late-${type}`;
      const deployed = await tw.api('POST', '/api/deployments', {
        name,
        entrypoint: `${path.join(FIXTURES, file)}:${fn}`,
        entrypoint_type: type,
        work_pool: poolName,
      });
      expect(deployed.status).toBe(201);
      const run = (await (await tw.api('POST', `/api/deployments/${name}/runs`, {})).json()) as FlowRun;
      await waitForState(run.id, 'Pending', 15_000);
      const late = await waitForState(run.id, 'Late', 15_000);
      expect(late.state.type).toBe('SCHEDULED');
      expect(late.state.message).toBe(`no worker of work pool ${poolName} took it`);
      // Nothing picks it up, so it stays Late.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await getRun(run.id)).state.name).toBe('Late');
      expect((await getRun(run.id)).start_time).toBeNull();

      const before = Date.now();
      const { pool } = await startTestPool(tw, undefined, poolName);
      pools.push(pool);
      const done = await waitForState(run.id, 'Completed');
      expect(done.state_history.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Late', 'Running', 'Completed']);
      expect(Date.parse(done.start_time!)).toBeGreaterThanOrEqual(before);

      const events = (
        await (await tw.api('GET', `/api/events?resource=prefect.flow-run.${run.id}`)).json()
      ).events.reverse() as { event: string; id: string; follows: string | null; resource: Record<string, string> }[];
      expect(events.map((e) => e.event)).toEqual([
        'prefect.flow-run.Scheduled',
        'prefect.flow-run.Pending',
        'prefect.flow-run.Late',
        'prefect.flow-run.Running',
        'prefect.flow-run.Completed',
      ]);
      expect(events[2]!.resource['prefect.state-type']).toBe('SCHEDULED');
      for (let i = 1; i < events.length; i += 1) expect(events[i]!.follows).toBe(events[i - 1]!.id);
    },
  );

  it('runs a deployment triggered on prefect.flow-run.Late', async () => {
    const poolName = `idle-${crypto.randomBytes(3).toString('hex')}`;
    const { pool, name: servedPool } = await startTestPool(tw);
    pools.push(pool);
    const never = await (
      await tw.api('POST', '/api/deployments', {
        name: 'never-picked-up',
        entrypoint: `${path.join(FIXTURES, 'test-flows.ts')}:echoFlow`,
        work_pool: poolName,
      })
    ).json();
    await tw.api('POST', '/api/deployments', {
      name: 'on-late',
      entrypoint: `${path.join(FIXTURES, 'test-flows.ts')}:echoFlow`,
      work_pool: servedPool,
      triggers: [
        {
          match: { 'prefect.resource.id': 'prefect.flow-run.*' },
          match_related: {
            'prefect.resource.id': `prefect.deployment.${never.id}`,
            'prefect.resource.role': 'deployment',
          },
          expect: ['prefect.flow-run.Late'],
          parameters: { late_run: '{{ event.resource.id }}' },
        },
      ],
    });
    const run = (await (await tw.api('POST', '/api/deployments/never-picked-up/runs', {})).json()) as FlowRun;
    const alerted = await eventually(
      async () =>
        (
          (await (await tw.api('GET', '/api/flow-runs?deployment=on-late')).json()) as (FlowRun & {
            parameters: Record<string, unknown>;
          })[]
        )[0],
      30_000,
      'the run triggered by Late',
    );
    expect(alerted.parameters.late_run).toBe(`prefect.flow-run.${run.id}`);
    await waitForState(alerted.id, 'Completed');
  });
});
