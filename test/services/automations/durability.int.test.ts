// Trigger and run state live in Temporal, not in tripwire's processes: a compound window half filled survives a worker
// restart and a restart of the Temporal server itself (persisted with --db-filename), and fires exactly once; a run
// waiting out schedule_after survives both too, and runs once.
import crypto from 'node:crypto';
import path from 'node:path';
import { startDevServer, type DevServer } from '../../../services/temporal/dev-server';
import { freePort } from '../../helpers/ports';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const compoundAll = (resource: string) => ({
  name: `durable-${crypto.randomBytes(3).toString('hex')}`,
  actions: [{ type: 'do-nothing' }],
  trigger: {
    type: 'compound',
    require: 'all',
    within: 120,
    triggers: [
      { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': resource }, expect: ['a.happened'] },
      { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': resource }, expect: ['b.happened'] },
    ],
  },
});

async function scenario(tw: TestTripwire, interrupt: () => Promise<void>): Promise<void> {
  const resource = `durable.${crypto.randomBytes(4).toString('hex')}`;
  const automation = await (await tw.api('POST', '/api/automations', compoundAll(resource))).json();
  const emit = async (name: string) =>
    expect(
      (await tw.api('POST', '/api/events', { event: name, resource: { 'prefect.resource.id': resource } })).status,
    ).toBe(204);
  const firings = async () =>
    (
      await (await tw.api('GET', `/api/events?resource=prefect.automation.${automation.id}&limit=100`)).json()
    ).events.filter((e: { event: string }) => e.event === 'prefect.automation.triggered').length;

  await emit('a.happened');
  // The first child's firing is held in the workflow's state: the window is open.
  await eventually(
    async () => {
      const state = await (await tw.api('GET', `/api/automations/${automation.id}/state`)).json();
      return state.state?.composite_triggers?.[0]?.firings?.length === 1 ? true : undefined;
    },
    20_000,
    'the first child firing to be stored',
  );
  await interrupt();
  await emit('b.happened');
  await eventually(async () => ((await firings()) >= 1 ? true : undefined), 60_000, 'the compound firing');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(await firings()).toBe(1);
}

async function persistentDevServer() {
  const port = await freePort();
  const options = {
    cliPath: process.env.TRIPWIRE_TEST_TEMPORAL_CLI!,
    port,
    namespace: 'default',
    dbFile: path.join(process.env.TRIPWIRE_TEST_TMP!, `durable-${port}.sqlite`),
    logFile: path.join(process.env.TRIPWIRE_TEST_TMP!, `durable-${port}.log`),
  };
  let server: DevServer = await startDevServer(options);
  return {
    address: server.address,
    restart: async () => {
      await server.stop();
      server = await startDevServer(options);
    },
    stop: () => server.stop(),
  };
}

describe('durability of trigger state', () => {
  it('fires once after the worker stops in the middle of an open compound window', async () => {
    const tw = await startTestTripwire();
    try {
      await scenario(tw, async () => {
        await tw.stopWorker();
        // While no worker runs, the event is accepted and signalled; the workflow catches up on restart.
        setTimeout(() => void tw.startWorker(), 2000);
      });
    } finally {
      await tw.stop();
    }
  });

  it('fires once after the Temporal dev server restarts mid-window (state in --db-filename)', async () => {
    const server = await persistentDevServer();
    const tw = await startTestTripwire({ temporalAddress: server.address });
    try {
      await scenario(tw, () => server.restart());
    } finally {
      await tw.stop();
      await server.stop();
    }
  });

  it('runs a deployment once after the worker and the server restart inside its schedule_after window', async () => {
    const server = await persistentDevServer();
    const tw = await startTestTripwire({ temporalAddress: server.address });
    const { pool, name: poolName } = await startTestPool(tw, server.address);
    try {
      const deployed = await tw.api('POST', '/api/deployments', {
        name: 'durable-run',
        entrypoint: `${path.resolve(__dirname, '..', '..', 'fixtures', 'flows', 'test-flows.ts')}:echoFlow`,
        work_pool: { name: poolName },
      });
      expect(deployed.status).toBeLessThan(300);
      const run = await (await tw.api('POST', '/api/deployments/durable-run/runs', { schedule_after: 'PT8S' })).json();
      expect(run.state.name).toBe('Scheduled');
      await tw.stopWorker();
      await server.restart();
      await tw.startWorker();
      const done = await eventually(
        async () => {
          const current = await (await tw.api('GET', `/api/flow-runs/${run.id}`)).json();
          return current.state.name === 'Completed' ? current : undefined;
        },
        60_000,
        'the delayed run to complete',
      );
      expect(Date.parse(done.start_time)).toBeGreaterThanOrEqual(Date.parse(run.expected_start_time) - 50);
      expect(done.state_history.filter((s: { name: string }) => s.name === 'Running')).toHaveLength(1);
      const runs = await (await tw.api('GET', '/api/flow-runs?deployment=durable-run')).json();
      expect(runs).toHaveLength(1);
    } finally {
      await pool.stop();
      await tw.stop();
      await server.stop();
    }
  });
});
