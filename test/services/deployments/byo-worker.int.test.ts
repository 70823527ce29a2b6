// Bring your own worker: a deployment on an external work pool names the task queue and workflow type of a Temporal
// worker the team runs itself (here a separately started process, test/fixtures/byo/worker.ts). tripwire starts the
// run there and records its states; its own pool worker never polls that queue; and while the team's worker is
// stopped the run waits (Pending or Running, never Failed) until it comes back.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTsProcess, type TsProcess } from '../../helpers/ts-process';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const WORKER = path.resolve(__dirname, '..', '..', 'fixtures', 'byo', 'worker.ts');

interface FlowRun {
  id: string;
  state: { type: string; name: string };
  state_history: { name: string }[];
  result?: unknown;
  workflow_id?: string;
}

describe('a deployment on an external work pool (bring your own worker)', () => {
  let tw: TestTripwire;
  let worker: TsProcess | undefined;
  const address = process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!;
  const queue = `team-orders-${crypto.randomBytes(3).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-byo-'));

  beforeAll(async () => {
    tw = await startTestTripwire({ env: { TRIPWIRE_LATE_RUNS_AFTER: '1' } });
  });
  afterAll(async () => {
    await worker?.stop();
    await tw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
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
  const startWorker = async () => {
    const started = startTsProcess(WORKER, [address, queue]);
    await started.waitFor('ready', 120_000);
    return started;
  };

  it("starts the run on the team's queue, waits while its worker is away, and records how it ends", async () => {
    const deployed = await tw.api('POST', '/api/deployments', {
      name: 'orders-sync',
      entrypoint: 'syncOrders',
      work_pool: { name: queue, type: 'external' },
      parameters: { orders: [3, 4, 5] },
    });
    expect(deployed.status).toBe(201);
    expect(await deployed.json()).toMatchObject({
      entrypoint: 'syncOrders',
      work_pool: queue,
      work_pool_type: 'external',
    });

    // tripwire's own pool worker leaves an external pool alone.
    const { pool } = await startTestPool(tw, address, queue);
    expect(pool.flows).toEqual([]);
    await pool.stop();

    // Nothing polls the queue yet: the run waits, Pending then Late, and does not fail.
    const marker = path.join(dir, 'counted');
    const run = (await (
      await tw.api('POST', '/api/deployments/orders-sync/runs', { parameters: { seconds: 4, marker } })
    ).json()) as FlowRun;
    await waitForState(run.id, 'Late', 15_000);

    // The team's worker starts: the run goes Running when its workflow starts there.
    worker = await startWorker();
    await waitForState(run.id, 'Running', 60_000);
    await eventually(async () => (fs.existsSync(marker) ? true : undefined), 30_000, 'the first activity');

    // The worker stops while the workflow sleeps: the run stays Running, not Failed or Crashed.
    await worker.stop();
    worker = undefined;
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect((await getRun(run.id)).state.name).toBe('Running');

    // It comes back and finishes the run.
    worker = await startWorker();
    const done = await waitForState(run.id, 'Completed', 90_000);
    expect(done.result).toEqual({ first: 3, second: 3, total: 12 });
    expect(done.state_history.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Late', 'Running', 'Completed']);
    const events = (
      await (
        await tw.api('GET', `/api/events?resource=prefect.flow-run.${run.id}&event=prefect.flow-run.Completed`)
      ).json()
    ).events as { related: Record<string, string>[] }[];
    expect(events[0]!.related).toContainEqual(
      expect.objectContaining({ 'prefect.resource.role': 'work-pool', 'prefect.work-pool.type': 'external' }),
    );
  });

  it('refuses to mix external and tripwire deployments on one pool', async () => {
    const response = await tw.api('POST', '/api/deployments', {
      name: 'orders-mixed',
      entrypoint: `${path.resolve(__dirname, '..', '..', 'fixtures', 'flows', 'test-flows.ts')}:echoFlow`,
      work_pool: queue,
    });
    expect(response.status).toBe(422);
    expect((await response.json()).error.details).toEqual([
      { path: 'work_pool', message: expect.stringMatching(/served by an external worker \(deployment orders-sync\)/) },
    ]);
  });
});
