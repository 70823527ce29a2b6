// Two tripwire processes on one PostgreSQL (here two sets of services in one test process, each with its own
// connections, router and registry): one routes the outbox at a time, an automation created in one is routed for
// events stored in the other at once, and a stream of events stored alternately in both reaches a busy automation's
// workflow in the order it was stored, each event once, through rollovers and a handover of the router.
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { eventsSignal, type EventsSignalInput } from '../../../workflows/messages';
import { createLogger } from '../../../services/logging/logger';
import { openCoreServices } from '../../../services/wiring';
import { type ApiServices, withApiParts } from '../../../api/wiring';
import { eventually, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

describe('two api processes on one PostgreSQL', () => {
  let tw: TestTripwire;
  let other: ApiServices;
  let connection: Connection;

  beforeAll(async () => {
    // Below the test server's own suggestion (200 history events), so the router's rollover request comes first.
    tw = await startTestTripwire({ dialect: 'postgres', env: { TEMPORAL_ROLLOVER_HISTORY_EVENTS: '40' } });
    other = withApiParts(
      await openCoreServices(tw.services.config, createLogger('silent'), process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!),
    );
    await other.registry.start();
    other.router.start();
    connection = await Connection.connect({ address: process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS! });
  });
  afterAll(async () => {
    await connection.close();
    other.automationService.stop();
    await other.close();
    await tw.stop();
  });

  const routers = () => [tw.services.router, other.router];

  it('routes the outbox from one process at a time', async () => {
    await eventually(
      async () => (routers().filter((router) => router.routing).length === 1 ? true : undefined),
      10_000,
      'one router to take the lease',
    );
    for (let i = 0; i < 10; i += 1) {
      expect(routers().filter((router) => router.routing)).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('delivers events stored in either process to a busy automation once each, in the order they were stored', async () => {
    const resource = `replicas.${crypto.randomBytes(4).toString('hex')}`;
    const automation = await (
      await tw.api('POST', '/api/automations', {
        name: `replicas-${crypto.randomBytes(4).toString('hex')}`,
        trigger: {
          type: 'event',
          posture: 'Reactive',
          match: { 'prefect.resource.id': resource },
          expect: ['replicas.tick'],
          threshold: 1,
          within: 0,
        },
        actions: [{ type: 'do-nothing' }],
      })
    ).json();
    // The other process learns of it from the database's notification, well before its next poll.
    await eventually(async () => (other.registry.size > 0 ? true : undefined), 5000, 'the other registry');

    const pipelines = [tw.services.pipeline, other.pipeline];
    const ids: string[] = [];
    const base = Date.now();
    for (let i = 0; i < 240; i += 1) {
      const id = crypto.randomUUID();
      ids.push(id);
      await pipelines[i % 2]!.accept([
        {
          id,
          occurred: new Date(base + i).toISOString(),
          event: 'replicas.tick',
          resource: { 'prefect.resource.id': resource },
          payload: { i },
        },
      ]);
      // Midway, the routing process stops its router (as at a shutdown): the other takes over at once.
      if (i === 100)
        await routers()
          .find((router) => router.routing)!
          .stop();
      if (i === 180) routers().forEach((router) => router.start());
    }

    const firings = async () => {
      const listed = await (
        await tw.api(
          'GET',
          `/api/events?event=prefect.automation.triggered&resource=prefect.automation.${automation.id}&limit=500`,
        )
      ).json();
      return (listed.events as { event: string }[]).filter((e) => e.event === 'prefect.automation.triggered').length;
    };
    await eventually(async () => ((await firings()) >= ids.length ? true : undefined), 90_000, 'every firing');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await firings()).toBe(ids.length);

    // What the workflow was signalled, run after run (the router had it continue as new at least once).
    const client = new Client({ connection });
    const description = await client.workflow.getHandle(automation.workflow_id).describe();
    let runId: string | undefined = description.raw.workflowExecutionInfo?.firstRunId ?? undefined;
    const signalled: string[] = [];
    let runs = 0;
    while (runId) {
      runs += 1;
      const events = (await client.workflow.getHandle(automation.workflow_id, runId).fetchHistory()).events ?? [];
      for (const event of events) {
        const signal = event.workflowExecutionSignaledEventAttributes;
        if (signal?.signalName !== eventsSignal.name) continue;
        const input = defaultPayloadConverter.fromPayload<EventsSignalInput>(signal.input!.payloads![0]!);
        signalled.push(...input.events.map((e) => e.id));
      }
      runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    expect(runs).toBeGreaterThan(1);
    // A signal may be repeated (events held for a rollover are offered again, and the workflow skips what it had);
    // the first time each event arrives follows the order it was stored in.
    const firstArrivals = signalled.filter((id, index) => signalled.indexOf(id) === index);
    expect(firstArrivals).toEqual(ids);
  }, 150_000);
});
