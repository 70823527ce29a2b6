// Deployments end to end on a real Temporal server: registration, runs with parameters, schedule_after and its
// cancellation window, failure, and the flow-run state events that let triggers chain.
import crypto from 'node:crypto';
import path from 'node:path';
import type { PoolWorker } from '../../../worker/pool-worker';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const FLOWS = path.resolve(__dirname, '..', '..', 'fixtures', 'flows', 'test-flows.ts');

interface FlowRun {
  id: string;
  state: { type: string; name: string };
  state_history: { name: string }[];
  parameters: Record<string, unknown>;
  expected_start_time: string;
  result?: unknown;
  error?: string;
  created_by: { type: string; id: string | null } | null;
}

describe('deployments and flow runs', () => {
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;

  beforeAll(async () => {
    tw = await startTestTripwire();
    ({ pool, name: poolName } = await startTestPool(tw));
  });
  afterAll(async () => {
    await pool.stop();
    await tw.stop();
  });

  const deploy = async (name: string, extra: Record<string, unknown> = {}) => {
    const response = await tw.api('POST', '/api/deployments', {
      name,
      entrypoint: `${FLOWS}:${(extra.flow as string | undefined) ?? 'echoFlow'}`,
      work_pool: { name: poolName },
      parameters: { a: 1 },
      ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'flow')),
    });
    expect([200, 201]).toContain(response.status);
    return response.json();
  };
  const getRun = async (id: string): Promise<FlowRun> => (await tw.api('GET', `/api/flow-runs/${id}`)).json();
  const waitForState = (id: string, name: string, timeoutMs = 30_000) =>
    eventually(
      async () => {
        const run = await getRun(id);
        return run.state.name === name ? run : undefined;
      },
      timeoutMs,
      `flow run ${id} to be ${name}`,
    );

  it('registers a deployment (create, then update by name) and lists it', async () => {
    const created = await deploy('echo');
    expect(created).toMatchObject({ name: 'echo', work_pool: poolName, parameters: { a: 1 } });
    const updated = await deploy('echo', { parameters: { a: 2 } });
    expect(updated.id).toBe(created.id);
    expect((await (await tw.api('GET', '/api/deployments/echo')).json()).parameters).toEqual({ a: 2 });
    await deploy('echo');
    expect((await tw.api('GET', '/api/deployments/nope')).status).toBe(404);
    expect((await tw.api('POST', '/api/deployments', { name: 'bad', entrypoint: 'no-colon' })).status).toBe(422);
  });

  it('runs a deployment with parameters over its defaults through Scheduled, Pending, Running, Completed', async () => {
    await deploy('echo');
    const response = await tw.api('POST', '/api/deployments/echo/runs', { parameters: { b: 'x' } });
    expect(response.status).toBe(201);
    const run = (await response.json()) as FlowRun;
    expect(run.parameters).toEqual({ a: 1, b: 'x' });
    const done = await waitForState(run.id, 'Completed');
    expect(done.result).toEqual({ received: { a: 1, b: 'x' } });
    expect(done.state_history.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Running', 'Completed']);

    const events = (
      await (await tw.api('GET', `/api/events?resource=prefect.flow-run.${run.id}`)).json()
    ).events.reverse();
    expect(events.map((e: { event: string }) => e.event)).toEqual([
      'prefect.flow-run.Scheduled',
      'prefect.flow-run.Pending',
      'prefect.flow-run.Running',
      'prefect.flow-run.Completed',
    ]);
    for (let i = 1; i < events.length; i += 1) expect(events[i].follows).toBe(events[i - 1].id);
    expect(events[3].resource).toMatchObject({ 'prefect.state-type': 'COMPLETED', 'prefect.state-name': 'Completed' });
    expect(events[3].related.map((r: Record<string, string>) => r['prefect.resource.role'])).toEqual([
      'flow',
      'deployment',
      'work-pool',
    ]);
  });

  it('waits out schedule_after as Scheduled, and a cancel inside the window means it never runs', async () => {
    await deploy('echo');
    const before = Date.now();
    const run = (await (
      await tw.api('POST', '/api/deployments/echo/runs', { schedule_after: 'PT2H' })
    ).json()) as FlowRun;
    expect(run.state.name).toBe('Scheduled');
    expect(Date.parse(run.expected_start_time) - before).toBeGreaterThanOrEqual(7200_000 - 1000);
    expect(Date.parse(run.expected_start_time) - before).toBeLessThan(7200_000 + 10_000);
    const cancelled = await (await tw.api('POST', `/api/flow-runs/${run.id}/cancel`)).json();
    expect(cancelled.state.name).toBe('Cancelled');
    expect((await getRun(run.id)).state_history.map((s) => s.name)).toEqual(['Scheduled', 'Cancelled']);
    expect((await tw.api('POST', `/api/flow-runs/${run.id}/cancel`)).status).toBe(409);
  });

  it('runs after a short schedule_after', async () => {
    const run = (await (await tw.api('POST', '/api/deployments/echo/runs', { schedule_after: 2 })).json()) as FlowRun;
    expect(run.state.name).toBe('Scheduled');
    const done = await waitForState(run.id, 'Completed');
    expect(
      Date.parse(done.state_history.length ? (done as unknown as { start_time: string }).start_time : ''),
    ).toBeGreaterThanOrEqual(Date.parse(run.expected_start_time) - 50);
  });

  it('cancels a running flow', async () => {
    await deploy('slow', { flow: 'slowFlow', parameters: { seconds: 300 } });
    const run = (await (await tw.api('POST', '/api/deployments/slow/runs', {})).json()) as FlowRun;
    await waitForState(run.id, 'Running');
    await tw.api('POST', `/api/flow-runs/${run.id}/cancel`);
    await waitForState(run.id, 'Cancelled');
  });

  it('records a failing flow as Failed with its error', async () => {
    await deploy('failing', { flow: 'failingFlow' });
    const run = (await (await tw.api('POST', '/api/deployments/failing/runs', {})).json()) as FlowRun;
    const failed = await waitForState(run.id, 'Failed');
    expect(failed.error).toContain('the flow failed on purpose');
  });

  it('rejects parameters that break the parameter schema, and negative schedule_after', async () => {
    await deploy('typed', {
      parameter_schema: { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] },
    });
    const bad = await tw.api('POST', '/api/deployments/typed/runs', { parameters: { a: 'one' } });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.message).toMatch(/parameter schema/);
    const negative = await tw.api('POST', '/api/deployments/typed/runs', { schedule_after: -5 });
    expect(negative.status).toBe(422);
    expect(JSON.stringify(await negative.json())).toContain('schedule_after must be non-negative');
  });

  it('runs a deployment from its event trigger with param_1 = {{ event }}, linked in the feed', async () => {
    const resource = `my.external.resource.${crypto.randomBytes(3).toString('hex')}`;
    const deployment = await deploy('triggered', {
      triggers: [
        {
          type: 'event',
          enabled: true,
          match: { 'prefect.resource.id': resource },
          expect: ['external.resource.pinged'],
          parameters: { param_1: '{{ event }}' },
        },
      ],
    });
    expect(deployment.automations).toHaveLength(1);
    expect(deployment.automations[0].name).toBe('triggered__automation_1');
    const eventId = crypto.randomUUID();
    expect(
      (
        await tw.api('POST', '/api/events', {
          id: eventId,
          event: 'external.resource.pinged',
          resource: { 'prefect.resource.id': resource },
          payload: { n: 7 },
        })
      ).status,
    ).toBe(204);

    const run = await eventually(
      async () => {
        const runs = (await (await tw.api('GET', '/api/flow-runs?deployment=triggered')).json()) as FlowRun[];
        return runs[0];
      },
      30_000,
      'a triggered flow run',
    );
    expect(run.parameters.param_1).toMatchObject({
      id: eventId,
      event: 'external.resource.pinged',
      payload: { n: 7 },
      resource: { 'prefect.resource.id': resource },
    });
    expect(run.created_by).toMatchObject({ type: 'AUTOMATION', id: deployment.automations[0].id });
    const done = await waitForState(run.id, 'Completed');
    expect((done.result as { received: { param_1: { id: string } } }).received.param_1.id).toBe(eventId);

    const automationId = deployment.automations[0].id;
    const feed = (await (await tw.api('GET', `/api/events?resource=prefect.automation.${automationId}`)).json()).events;
    const names = feed.map((e: { event: string }) => e.event);
    expect(names).toEqual(
      expect.arrayContaining([
        'prefect.automation.triggered',
        'prefect.automation.action.triggered',
        'prefect.automation.action.executed',
      ]),
    );
    const executed = feed.find((e: { event: string }) => e.event === 'prefect.automation.action.executed');
    expect(executed.related.map((r: Record<string, string>) => r['prefect.resource.role'])).toEqual([
      'target',
      'flow-run',
      'automation-triggered-event',
      'triggering-event',
    ]);
    expect(executed.related[3]['prefect.resource.id']).toBe(`prefect.event.${eventId}`);
    expect(executed.payload.status_code).toBe(201);
  });

  it("chains deployments: one deployment's Completed runs another", async () => {
    const upstream = await deploy('upstream');
    await deploy('downstream', {
      triggers: [
        {
          match: { 'prefect.resource.id': 'prefect.flow-run.*' },
          match_related: {
            'prefect.resource.id': `prefect.deployment.${upstream.id}`,
            'prefect.resource.role': 'deployment',
          },
          expect: ['prefect.flow-run.Completed'],
          parameters: { upstream_run: '{{ event.resource.id }}' },
        },
      ],
    });
    const run = (await (await tw.api('POST', '/api/deployments/upstream/runs', {})).json()) as FlowRun;
    await waitForState(run.id, 'Completed');
    const chained = await eventually(
      async () => {
        const runs = (await (await tw.api('GET', '/api/flow-runs?deployment=downstream')).json()) as FlowRun[];
        return runs.find((r) => r.state.name === 'Completed');
      },
      30_000,
      'the downstream run',
    );
    expect(chained.parameters.upstream_run).toBe(`prefect.flow-run.${run.id}`);
  });

  it('refuses an automation that would re-trigger itself forever, and changes nothing', async () => {
    const before = await (await tw.api('GET', '/api/deployments/echo')).json();
    const response = await tw.api('POST', '/api/deployments', {
      name: 'echo',
      entrypoint: `${FLOWS}:echoFlow`,
      work_pool: { name: poolName },
      triggers: [{ expect: ['prefect.flow-run.Running'] }],
    });
    expect(response.status).toBe(422);
    expect((await response.json()).error.message).toMatch(/infinite loop/);
    expect((await (await tw.api('GET', '/api/deployments/echo')).json()).updated).toBe(before.updated);
  });
});
