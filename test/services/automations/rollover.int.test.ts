// A busy automation's workflow continues as new at the router's request while events keep coming: no workflow task
// fails on the way (each failure meant a full replay, a stall of seconds under load), and no event is lost or
// counted twice. Its window's timer is set once per run, not once per workflow task.
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { eventually, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

describe('rollover of busy automation workflows', () => {
  let tw: TestTripwire;
  let connection: Connection;

  beforeAll(async () => {
    // Below the test server's own suggestion (200 history events), so the router's request comes first.
    tw = await startTestTripwire({ env: { TEMPORAL_ROLLOVER_HISTORY_EVENTS: '30' } });
    connection = await Connection.connect({ address: process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS! });
  });
  afterAll(async () => {
    await connection.close();
    await tw.stop();
  });

  it('continues as new under a steady stream of events without a failed workflow task', async () => {
    const resource = `stream.${crypto.randomBytes(4).toString('hex')}`;
    const created = await tw.api('POST', '/api/automations', {
      name: `rollover-${crypto.randomBytes(4).toString('hex')}`,
      trigger: {
        type: 'event',
        posture: 'Reactive',
        match: { 'prefect.resource.id': resource },
        expect: ['tick'],
        threshold: 200,
        within: 3600,
      },
      actions: [{ type: 'do-nothing' }],
    });
    const automation = await created.json();
    const emit = (id: string = crypto.randomUUID()) =>
      tw.api('POST', '/api/events', { id, event: 'tick', resource: { 'prefect.resource.id': resource } });

    // Four senders at once keep signals arriving while the workflow works, as a busy automation sees them.
    const ids = Array.from({ length: 199 }, () => crypto.randomUUID());
    for (let i = 0; i < ids.length; i += 4) {
      const statuses = await Promise.all(ids.slice(i, i + 4).map(async (id) => (await emit(id)).status));
      expect(statuses.every((status) => status === 204)).toBe(true);
    }
    for (const id of ids.slice(0, 10)) await emit(id); // redelivered: they must not count
    const firings = async () =>
      (
        (await (await tw.api('GET', `/api/events?resource=prefect.automation.${automation.id}&limit=50`)).json()) as {
          events: { event: string }[];
        }
      ).events.filter((e) => e.event === 'prefect.automation.triggered');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await firings()).toHaveLength(0);
    await emit();
    await eventually(async () => ((await firings()).length === 1 ? true : undefined), 30_000, 'the 200th event');

    // The runs, followed from the first through each continue-as-new (visibility may lag; histories do not).
    const client = new Client({ connection });
    const description = await client.workflow.getHandle(automation.workflow_id).describe();
    let runId: string | undefined = description.raw.workflowExecutionInfo?.firstRunId ?? undefined;
    const runs: { runId: string; events: number; failedTasks: number; timers: number }[] = [];
    while (runId) {
      const events = (await client.workflow.getHandle(automation.workflow_id, runId).fetchHistory()).events ?? [];
      runs.push({
        runId,
        events: events.length,
        failedTasks: events.filter((e) => e.workflowTaskFailedEventAttributes).length,
        // The window's end does not move while it is open: one timer for it, not one per workflow task.
        timers: events.filter((e) => e.timerStartedEventAttributes).length,
      });
      runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    expect(runs.at(-1)!.runId).toBe(description.runId);
    expect(runs.length).toBeGreaterThan(1);
    for (const run of runs) {
      expect(run).toEqual({ runId: run.runId, events: run.events, failedTasks: 0, timers: run.timers });
      expect(run.timers).toBeLessThanOrEqual(2); // 2: the rounded wake may cross a minute once
      // Each run stays near the requested length (the request comes at most a tenth of it late).
      expect(run.events).toBeLessThan(200);
    }
  }, 120_000);
});
