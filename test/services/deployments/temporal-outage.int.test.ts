// Running a deployment while Temporal is down: the run is recorded as Scheduled and answered 201 (as a Prefect run
// waits for its worker), and its workflow starts once Temporal answers: retried by the process that recorded it, found
// at start by a restarted one, and found by a running one once it is a minute overdue.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { FlowRunRepository } from '../../../db/flow-runs';
import { FlowRunRecords } from '../../../services/deployments/flow-run-records';
import { FlowRunStarter } from '../../../services/deployments/flow-run-starter';
import { createLogger } from '../../../services/logging/logger';
import { flowRunWorkflowId } from '../../../workflows/ids';
import { freePort } from '../../helpers/ports';
import { type TcpProxy, tcpProxy } from '../../helpers/tcp-proxy';
import { eventually, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const FLOWS = path.resolve(__dirname, '..', '..', 'fixtures', 'flows', 'test-flows.ts');

describe('flow runs while Temporal is down', () => {
  const temporalAddress = process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!;
  let tw: TestTripwire;
  let temporal: TcpProxy;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    temporal = await tcpProxy(temporalAddress, { closed: true });
    tw = await startTestTripwire({ worker: false, temporalAddress: temporal.address });
    connection = await Connection.connect({ address: temporalAddress });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await tw.stop();
    temporal.close();
    await connection.close();
  });

  const workflowStatus = async (workflowId: string) => {
    try {
      return (await client.workflow.getHandle(workflowId).describe()).status.name;
    } catch {
      return undefined;
    }
  };

  it('answers 201 with a Scheduled run, says Temporal is down on cancel, and starts the run when it is back', async () => {
    const deployed = await tw.api('POST', '/api/deployments', {
      name: 'outage',
      entrypoint: `${FLOWS}:echoFlow`,
      work_pool: { name: 'outage-pool' },
    });
    expect(deployed.status).toBe(201);

    const began = Date.now();
    const response = await tw.api('POST', '/api/deployments/outage/runs', { parameters: { n: 1 } });
    expect(response.status).toBe(201);
    expect(Date.now() - began).toBeLessThan(15_000); // bounded by the start's deadline, not the SDK's 30 s of retries
    const run = await response.json();
    expect(run.state.name).toBe('Scheduled');
    expect(tw.services.flowRunStarter.waitingToStart).toContain(run.id);

    const cancel = await tw.api('POST', `/api/flow-runs/${run.id}/cancel`);
    expect(cancel.status).toBe(503);
    expect((await cancel.json()).error.message).toMatch(/Temporal is unavailable/);

    // Another process records a run during the outage and stops before Temporal is back (its retries are lost).
    const service = (temporalClient: Client) =>
      new FlowRunStarter(
        new FlowRunRecords(new FlowRunRepository(tw.services.db), tw.services.deployments, tw.services.pipeline),
        tw.services.deployments,
        temporalClient,
        tw.services.config.temporal.taskQueue,
        createLogger('silent'),
      );
    const recordAndStop = async (temporalClient: Client) => {
      const stopped = service(temporalClient);
      const { run: lost } = await stopped.create({
        deployment: (await tw.services.deployments.getByName('outage'))!,
        parameters: {},
        scheduleAfterSeconds: 0,
      });
      expect(stopped.waitingToStart).toEqual([lost.id]);
      stopped.stop();
      return lost;
    };
    const lost = await recordAndStop(tw.services.temporal.client);

    await temporal.open();
    const running = (runId: string) =>
      eventually(
        async () => ((await workflowStatus(flowRunWorkflowId('outage', runId))) === 'RUNNING' ? true : undefined),
        30_000,
        `the workflow of ${runId}`,
      );
    await running(run.id); // retried in the background by the service that recorded it
    expect(tw.services.flowRunStarter.waitingToStart).toEqual([]);
    expect(await workflowStatus(flowRunWorkflowId('outage', lost.id))).toBeUndefined();

    const restarted = service(client);
    try {
      await restarted.resumeStarts(); // as tripwire does when it starts
      await running(lost.id);
      expect(restarted.waitingToStart).toEqual([]);
    } finally {
      restarted.stop();
    }

    // A process that keeps running finds such a run too, once it is a minute overdue (as its minutely look does).
    const unreachable = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    const lostToo = await recordAndStop(unreachable);
    await unreachable.connection.close();
    await tw.services.flowRunStarter.adoptOverdue(Date.now());
    expect(await workflowStatus(flowRunWorkflowId('outage', lostToo.id))).toBeUndefined(); // not overdue yet
    await tw.services.flowRunStarter.adoptOverdue(Date.now() + 61_000);
    await running(lostToo.id);
  });
});
