// GET /api/flow-runs/<id> and GET /api/flow-runs on a real Temporal server: a run shows its parameters, its state
// history with timestamps, its result or error, the automation firing and events that created it, and where its
// workflow is (with the Temporal UI link); the list filters by deployment and state.
import crypto from 'node:crypto';
import path from 'node:path';
import type { PoolWorker } from '../../worker/pool-worker';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const FLOWS = path.resolve(__dirname, '..', 'fixtures', 'flows', 'test-flows.ts');
const UI = 'https://temporal.example.com/ui/';

describe('flow run detail', () => {
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;

  beforeAll(async () => {
    tw = await startTestTripwire({ env: { TEMPORAL_UI_URL: UI } });
    ({ pool, name: poolName } = await startTestPool(tw));
  });
  afterAll(async () => {
    await pool.stop();
    await tw.stop();
  });

  const deploy = async (name: string, flow: string, triggers?: unknown[]) => {
    const response = await tw.api('POST', '/api/deployments', {
      name,
      entrypoint: `${FLOWS}:${flow}`,
      work_pool: { name: poolName },
      parameters: { a: 1 },
      ...(triggers ? { triggers } : {}),
    });
    expect([200, 201]).toContain(response.status);
    return response.json();
  };
  const getRun = async (id: string) => (await tw.api('GET', `/api/flow-runs/${id}`)).json();
  const ended = (id: string) =>
    eventually(
      async () => {
        const run = await getRun(id);
        return ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'].includes(run.state.type) ? run : undefined;
      },
      30_000,
      `flow run ${id} to end`,
    );
  const list = async (query: string) =>
    ((await (await tw.api('GET', `/api/flow-runs?${query}`)).json()) as { id: string }[]).map((r) => r.id);

  it('shows a triggered run: parameters, timed state history, result, the firing and its events, the Temporal link', async () => {
    const resource = `detail.resource.${crypto.randomBytes(3).toString('hex')}`;
    const deployment = await deploy('detail-triggered', 'echoFlow', [
      {
        type: 'compound',
        require: 'all',
        parameters: { param_1: '{{ event.event }}' },
        triggers: [
          { type: 'event', match: { 'prefect.resource.id': resource }, expect: ['external.resource.pinged'] },
          { type: 'event', match: { 'prefect.resource.id': resource }, expect: ['external.resource.replied'] },
        ],
      },
    ]);
    const automation = deployment.automations[0];
    const sent: Record<string, string> = {};
    for (const event of ['external.resource.pinged', 'external.resource.replied']) {
      sent[event] = crypto.randomUUID();
      const response = await tw.api('POST', '/api/events', {
        id: sent[event],
        event,
        resource: { 'prefect.resource.id': resource },
      });
      expect(response.status).toBe(204);
    }
    const [id] = await eventually(
      async () => {
        const ids = await list('deployment=detail-triggered');
        return ids.length > 0 ? ids : undefined;
      },
      30_000,
      'the triggered run',
    );
    const run = await ended(id!);

    expect(run).toMatchObject({
      id,
      deployment_id: deployment.id,
      flow_name: 'echoFlow',
      work_pool_name: poolName,
      parameters: { a: 1, param_1: 'external.resource.replied' },
      state: { type: 'COMPLETED', name: 'Completed' },
      state_type: 'COMPLETED',
      state_name: 'Completed',
      result: { received: { a: 1, param_1: 'external.resource.replied' } },
      run_count: 1,
      created_by: { type: 'AUTOMATION', id: automation.id, display_value: automation.name },
    });
    expect(run).not.toHaveProperty('error');
    expect(run.state_history.map((s: { name: string }) => s.name)).toEqual([
      'Scheduled',
      'Pending',
      'Running',
      'Completed',
    ]);
    const times = run.state_history.map((s: { timestamp: string }) => Date.parse(s.timestamp));
    expect(times.every((t: number, i: number) => Number.isFinite(t) && (i === 0 || t >= times[i - 1]))).toBe(true);
    expect(run.state_history.at(-1)).toEqual(run.state);
    expect(run.start_time).toBe(run.state_history[2].timestamp);
    expect(run.end_time).toBe(run.state_history[3].timestamp);
    expect(run.total_run_time).toBeCloseTo((times[3] - times[2]) / 1000, 3);

    // The firing that created the run: the automation, and both events of the compound trigger, the last one first.
    expect(run.triggered_by).toMatchObject({
      automation_id: automation.id,
      automation_name: automation.name,
      event: { id: sent['external.resource.replied'], event: 'external.resource.replied', resource_id: resource },
      events: [
        { id: sent['external.resource.pinged'], event: 'external.resource.pinged', resource_id: resource },
        { id: sent['external.resource.replied'], event: 'external.resource.replied', resource_id: resource },
      ],
    });
    // It is the firing the feed records: the automation's action event names this run and that triggering event.
    const feed = (await (await tw.api('GET', `/api/events?resource=prefect.automation.${automation.id}`)).json())
      .events as { event: string; related: Record<string, string>[] }[];
    const executed = feed.find((e) => e.event === 'prefect.automation.action.executed')!;
    const relatedIds = executed.related.map((r) => r['prefect.resource.id']);
    expect(relatedIds).toContain(`prefect.flow-run.${id}`);
    expect(relatedIds).toContain(`prefect.event.${run.triggered_by.event.id}`);

    // The workflow the link names exists, and the link is the UI's page for it.
    expect(run.temporal).toEqual({
      namespace: 'default',
      workflow_id: expect.stringContaining(id!),
      ui_url: `https://temporal.example.com/ui/namespaces/default/workflows/${encodeURIComponent(run.temporal.workflow_id)}`,
    });
    const described = await tw.services.temporal.client.workflow.getHandle(run.temporal.workflow_id).describe();
    expect(described.status.name).toBe('COMPLETED');
  });

  it('shows a failed run with its error, and a run started from the API with no trigger', async () => {
    await deploy('detail-failing', 'failingFlow');
    const started = await (await tw.api('POST', '/api/deployments/detail-failing/runs', {})).json();
    const run = await ended(started.id);
    expect(run).toMatchObject({
      state: { type: 'FAILED', name: 'Failed', message: expect.stringContaining('the flow failed on purpose') },
      error: expect.stringContaining('the flow failed on purpose'),
      created_by: { type: 'USER' },
      triggered_by: null,
    });
    expect(run).not.toHaveProperty('result');
    expect(run.state_history.map((s: { name: string }) => s.name)).toEqual([
      'Scheduled',
      'Pending',
      'Running',
      'Failed',
    ]);
    expect((await tw.api('GET', `/api/flow-runs/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it('lists runs by deployment and by state name (any case, several at once) or state type', async () => {
    await deploy('filter-ok', 'echoFlow');
    await deploy('filter-slow', 'slowFlow');
    const ok = await (await tw.api('POST', '/api/deployments/filter-ok/runs', {})).json();
    const later = await (await tw.api('POST', '/api/deployments/filter-slow/runs', { schedule_after: 'PT2H' })).json();
    await ended(ok.id);

    expect(await list('deployment=filter-ok')).toEqual([ok.id]);
    expect(await list('deployment=filter-slow')).toEqual([later.id]);
    expect(await list('deployment=filter-ok&state=completed')).toEqual([ok.id]);
    expect(await list('deployment=filter-ok&state=Scheduled')).toEqual([]);
    expect(await list('deployment=filter-slow&state=SCHEDULED')).toEqual([later.id]);
    expect((await list('state=Completed&state=Scheduled')).sort()).toEqual(
      expect.arrayContaining([ok.id, later.id].sort()),
    );
    expect(await list('deployment=filter-slow&state=Completed,Scheduled')).toEqual([later.id]);
    expect(await list('deployment=filter-slow&state_type=scheduled')).toEqual([later.id]);
    expect((await tw.api('GET', '/api/flow-runs?deployment=no-such-deployment')).status).toBe(404);
    await tw.api('POST', `/api/flow-runs/${later.id}/cancel`);
  });
});
