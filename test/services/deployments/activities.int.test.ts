// Workflow flows with activities (the Temporal way), end to end on a real Temporal server: a webhook's event fires a
// deployment trigger, whose run's workflow calls an activity of the deployment's `activities` module that makes a
// real HTTP request and writes a file, and the run stores the result. Activity retries and cancellation behave as
// Temporal defines them; cancelling the run cancels its running activity. Activity names that clash on one pool are
// refused at deploy time.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { PoolWorker } from '../../../worker/pool-worker';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'flows');
const FLOWS = path.join(FIXTURES, 'http-flow.ts');
const ACTIVITIES = path.join(FIXTURES, 'http-activities.ts');

interface FlowRun {
  id: string;
  state: { name: string; message: string | null };
  state_history: { name: string }[];
  parameters: Record<string, unknown>;
  result?: unknown;
}

describe('workflow flows with activities', () => {
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;
  let server: http.Server;
  let serverUrl: string;
  const requests: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-activities-'));

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ report: req.url, rows: [1, 2, 3] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    tw = await startTestTripwire();
    ({ pool, name: poolName } = await startTestPool(tw));
  });
  afterAll(async () => {
    await pool.stop();
    await tw.stop();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const deploy = (name: string, flow: string, extra: Record<string, unknown> = {}) =>
    tw.api('POST', '/api/deployments', {
      name,
      entrypoint: `${FLOWS}:${flow}`,
      activities: ACTIVITIES,
      work_pool: { name: poolName },
      ...extra,
    });
  const served = (flow: string) =>
    eventually(async () => (pool.flows.includes(flow) ? true : undefined), 60_000, `the pool to serve ${flow}`);
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

  it('runs from webhook → trigger → deployment; its activity fetches over HTTP and writes a file; the result is stored', async () => {
    const tag = crypto.randomBytes(3).toString('hex');
    const file = path.join(dir, `report-${tag}.json`);
    const deployment = await deploy('fetch-report', 'httpFlow', {
      triggers: [
        {
          match: { 'prefect.resource.id': `report.${tag}` },
          expect: ['report.ready'],
          parameters: { url: `${serverUrl}/reports/{{ event.payload.report }}`, file },
        },
      ],
    });
    expect(deployment.status).toBe(201);
    await served('httpFlow');
    const webhook = await (
      await tw.api('POST', '/api/webhooks', {
        name: `reports-${tag}`,
        template: JSON.stringify({
          event: 'report.ready',
          resource: { 'prefect.resource.id': `report.${tag}` },
          payload: { report: '{{ body.report }}' },
        }),
      })
    ).json();
    const hook = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ report: 'weekly' }),
    });
    expect(hook.status).toBe(204);

    const run = await eventually(
      async () => ((await (await tw.api('GET', '/api/flow-runs?deployment=fetch-report')).json()) as FlowRun[])[0],
      30_000,
      'the triggered run',
    );
    const done = await waitForState(run.id, 'Completed');
    const body = JSON.stringify({ report: '/reports/weekly', rows: [1, 2, 3] });
    expect(done.result).toEqual({ status: 200, bytes: body.length, file });
    expect(fs.readFileSync(file, 'utf8')).toBe(body);
    expect(requests).toContain('/reports/weekly');
    expect(done.state_history.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Running', 'Completed']);
  });

  it("retries a failing activity as Temporal's retry policy says, inside one attempt of the run", async () => {
    expect((await deploy('retrying-activity', 'retryingActivityFlow')).status).toBe(201);
    await served('retryingActivityFlow');
    const run = (await (await tw.api('POST', '/api/deployments/retrying-activity/runs', {})).json()) as FlowRun;
    const done = await waitForState(run.id, 'Completed');
    expect(done.result).toEqual({ attempt: 3 });
    expect(done.state_history.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Running', 'Completed']);
  });

  it('cancels the running activity when the run is cancelled', async () => {
    expect((await deploy('cancellable', 'cancellableFlow')).status).toBe(201);
    await served('cancellableFlow');
    const started = path.join(dir, `started-${crypto.randomBytes(3).toString('hex')}`);
    const marker = path.join(dir, `cancelled-${crypto.randomBytes(3).toString('hex')}`);
    const run = (await (
      await tw.api('POST', '/api/deployments/cancellable/runs', { parameters: { started, marker } })
    ).json()) as FlowRun;
    await eventually(async () => (fs.existsSync(started) ? true : undefined), 30_000, 'the activity to start');
    await waitForState(run.id, 'Running');
    expect((await tw.api('POST', `/api/flow-runs/${run.id}/cancel`)).status).toBe(200);
    await waitForState(run.id, 'Cancelled', 30_000);
    await eventually(async () => (fs.existsSync(marker) ? true : undefined), 15_000, 'the activity to see it');
    expect(fs.readFileSync(marker, 'utf8')).toMatch(/^cancelled at /);
  });

  it('refuses an activities module whose function names another deployment on the pool already registers', async () => {
    const other = path.join(dir, 'other-activities.ts');
    fs.writeFileSync(other, 'export async function fetchAndSave() { return 1; }\nexport async function unique() {}\n');
    const response = await tw.api('POST', '/api/deployments', {
      name: 'clashing',
      entrypoint: `${path.join(FIXTURES, 'test-flows.ts')}:echoFlow`,
      activities: other,
      work_pool: { name: poolName },
    });
    expect(response.status).toBe(422);
    expect((await response.json()).error.details).toEqual([
      {
        path: 'activities',
        message: expect.stringMatching(/activity fetchAndSave of .* is also exported by .*http-activities\.ts/),
      },
    ]);
    const empty = path.join(dir, 'no-activities.ts');
    fs.writeFileSync(empty, 'export const notAFunction = 1;\n');
    const none = await tw.api('POST', '/api/deployments', {
      name: 'no-activities',
      entrypoint: `${path.join(FIXTURES, 'test-flows.ts')}:echoFlow`,
      activities: empty,
      work_pool: { name: `${poolName}-other` },
    });
    expect(none.status).toBe(422);
    expect((await none.json()).error.details[0].message).toMatch(/exports no functions/);
  });
});
