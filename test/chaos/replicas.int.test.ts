// tripwire as production runs it, broken on purpose: three api processes and two worker processes (the compiled
// entries, as docker-compose runs them) on one PostgreSQL and a Temporal dev server of their own that keeps its state
// in a file. One automation per event kind runs a deployment on every THRESHOLD-th event of its kind; the flow returns the
// parameters it was given, which are recorded with its run. A steady stream of events goes to the three api processes
// in turn (a sender whose request fails sends the same event, same id, to the next one). During the stream the api
// process routing the outbox is killed with SIGKILL and started again, then a worker, then the Temporal server, which
// comes back on its database file. Afterwards, within three minutes of the last restart: every acknowledged event is
// stored once, every expected firing happened once, each has its action's outcome, each flow run exists once with
// the parameters of the event that fired it, and the outbox is empty.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { DeploymentRepository } from '../../db/deployments';
import { LeaseRepository } from '../../db/leases';
import { createLogger } from '../../services/logging/logger';
import { type DevServer, type DevServerOptions, startDevServer } from '../../services/temporal/dev-server';
import { PoolWorker } from '../../worker/pool-worker';
import { createTestDb, type TestDb } from '../helpers/db';
import { freePort } from '../helpers/ports';
import { distEntry, NodeProcess } from '../helpers/processes';
import { eventually } from '../helpers/tripwire';

const EVENTS = Number(process.env.CHAOS_EVENTS ?? 5000);
/** Events per second; the stream lasts EVENTS / RATE seconds. */
const RATE = Number(process.env.CHAOS_RATE ?? 50);
const KINDS = 5;
/**
 * Each automation fires once per THRESHOLD events of its kind. A flow run (several workflow tasks and activities) is
 * most of the work an event causes, so this sets how long the test takes to settle.
 */
const THRESHOLD = 10;
/** How long after the last restart everything must be done. */
const DRAIN_LIMIT_MS = 3 * 60 * 1000;
const FLOWS = path.resolve(__dirname, '..', 'fixtures', 'flows', 'test-flows.ts');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Figures {
  stored: number;
  storedDuplicates: number;
  firingsExpected: number;
  firingsSeen: number;
  firingDuplicates: number;
  outcomes: number;
  executed: number;
  failed: number;
  runsSeen: number;
  runDuplicates: number;
  runsCompleted: number;
  wrongParameters: number;
  countedTwice: number;
  /** Firings whose actions the automations' workflows still wait for. */
  actionsInFlight: number;
  outbox: number;
}

describe('three api processes and two workers on PostgreSQL, killed with SIGKILL mid-stream', () => {
  const dir = path.join(process.env.TRIPWIRE_TEST_TMP!, `chaos-${crypto.randomBytes(3).toString('hex')}`);
  const apiKey = `chaos-${crypto.randomBytes(8).toString('hex')}`;
  let testDb: TestDb;
  let temporalOptions: DevServerOptions;
  let temporal: DevServer | undefined;
  let pool: PoolWorker | undefined;
  const apis: { process: NodeProcess; url: string }[] = [];
  const workers: NodeProcess[] = [];

  beforeAll(async () => {
    fs.mkdirSync(dir, { recursive: true });
    temporalOptions = {
      cliPath: process.env.TRIPWIRE_TEST_TEMPORAL_CLI!,
      port: await freePort(),
      namespace: 'default',
      dbFile: path.join(dir, 'temporal.sqlite'),
      logFile: path.join(dir, 'temporal.log'),
    };
    temporal = await startDevServer(temporalOptions);
    testDb = await createTestDb('postgres');
    const env = {
      DATABASE_URL: testDb.databaseUrl!,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `chaos-${crypto.randomBytes(4).toString('hex')}`,
      TRIPWIRE_API_KEY: apiKey,
      // Low, so that the busy automations' workflows roll over several times during the stream.
      TEMPORAL_ROLLOVER_HISTORY_EVENTS: '500',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
    };
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const dataDir = path.join(dir, `api-${i}`);
      const api = new NodeProcess(
        `api ${i}`,
        distEntry('api/main.js'),
        { ...env, PORT: String(port), TRIPWIRE_DATA_DIR: dataDir },
        path.join(dir, `api-${i}.log`),
      );
      apis.push({ process: api, url: `http://127.0.0.1:${port}` });
      api.start();
    }
    for (let i = 0; i < 2; i += 1) {
      const dataDir = path.join(dir, `worker-${i}`);
      const worker = new NodeProcess(
        `worker ${i}`,
        distEntry('worker/main.js'),
        { ...env, TRIPWIRE_DATA_DIR: dataDir },
        path.join(dir, `worker-${i}.log`),
      );
      workers.push(worker);
      worker.start();
    }
    for (const api of apis) {
      await eventually(
        async () => ((await fetch(`${api.url}/readyz`)).ok ? true : undefined),
        90_000,
        `${api.process.name} to be ready`,
      );
    }
  }, 180_000);

  afterAll(async () => {
    await pool?.stop().catch(() => undefined);
    await Promise.all([...apis.map((api) => api.process.stop()), ...workers.map((worker) => worker.stop())]);
    await temporal?.stop();
    await testDb?.drop();
  }, 120_000);

  const api = async (url: string, method: string, route: string, body?: unknown) => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return response;
  };

  it(
    'loses, duplicates and leaves behind nothing',
    async () => {
      // The flows run in this process, on a work pool of their own.
      const poolName = `chaos-pool-${crypto.randomBytes(3).toString('hex')}`;
      pool = new PoolWorker(
        new DeploymentRepository(testDb.db),
        {
          address: temporal!.address,
          namespace: 'default',
          pool: poolName,
          pollIntervalMs: 500,
          nodeModules: path.resolve(__dirname, '..', '..', 'node_modules'),
        },
        createLogger('silent'),
      );
      await pool.start();
      const deployed = await api(apis[0]!.url, 'POST', '/api/deployments', {
        name: 'chaos-echo',
        entrypoint: `${FLOWS}:echoFlow`,
        work_pool: { name: poolName },
      });
      expect([200, 201]).toContain(deployed.status);
      const deployment = (await deployed.json()) as { id: string };
      await eventually(async () => (pool!.flows.includes('echoFlow') ? true : undefined), 60_000, 'the pool worker');

      const automationIds: string[] = [];
      for (let kind = 0; kind < KINDS; kind += 1) {
        const created = await api(apis[kind % apis.length]!.url, 'POST', '/api/automations', {
          name: `chaos-${kind}`,
          trigger: {
            type: 'event',
            posture: 'Reactive',
            match: { 'prefect.resource.id': 'chaos.*' },
            expect: [`chaos.kind.${kind}`],
            // Every THRESHOLD-th event of the kind fires (a window of 0 counts with no cool-down after firing).
            threshold: THRESHOLD,
            within: 0,
          },
          actions: [
            {
              type: 'run-deployment',
              source: 'selected',
              deployment_id: deployment.id,
              parameters: { event_id: '{{ event.id }}', kind: '{{ event.event }}', seq: '{{ event.payload.seq }}' },
            },
          ],
        });
        expect(created.status).toBe(201);
        automationIds.push(((await created.json()) as { id: string }).id);
      }

      // The stream: event i goes to api i mod 3; a failed request is sent again, same id, to the next api.
      const planned = Array.from({ length: EVENTS }, (_, seq) => ({ id: crypto.randomUUID(), seq, kind: seq % KINDS }));
      const acknowledged = new Set<string>();
      let resent = 0;
      let refused = 0;
      const send = async ({ id, seq, kind }: (typeof planned)[number]) => {
        const body = {
          id,
          event: `chaos.kind.${kind}`,
          resource: { 'prefect.resource.id': `chaos.source.${seq % 50}` },
          payload: { seq },
        };
        for (let attempt = 0; attempt < 200; attempt += 1) {
          try {
            const response = await api(apis[(seq + attempt) % apis.length]!.url, 'POST', '/api/events', body);
            if (response.ok) {
              acknowledged.add(id);
              return;
            }
            if (response.status < 500) {
              refused += 1;
              return;
            }
          } catch {
            // The api was killed, or is starting again: the next one takes the event.
          }
          resent += 1;
          await sleep(100);
        }
      };
      const started = performance.now();
      const durationMs = (EVENTS / RATE) * 1000;
      const sending: Promise<void>[] = [];
      const stream = (async () => {
        for (const [i, event] of planned.entries()) {
          const due = started + (i * 1000) / RATE;
          if (due > performance.now()) await sleep(due - performance.now());
          sending.push(send(event));
        }
        await Promise.all(sending);
      })();

      const leases = new LeaseRepository(testDb.db);
      const timeline: string[] = [];
      const at = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
      let lastRestart = 0;
      const chaos = (async () => {
        await sleep(0.15 * durationMs);
        // The api process that routes the outbox: its lease's owner names its pid.
        const owner = (await leases.holder('router'))?.owner;
        const router = apis.find((candidate) => owner?.split('/')[1] === String(candidate.process.pid)) ?? apis[0]!;
        await router.process.kill('SIGKILL');
        timeline.push(`${router.process.name} (routing) killed at ${at()}`);
        await sleep(3000);
        router.process.start();
        timeline.push(`restarted at ${at()}`);

        await sleep(Math.max(0, started + 0.35 * durationMs - performance.now()));
        await workers[0]!.kill('SIGKILL');
        timeline.push(`worker 0 killed at ${at()}`);
        await sleep(3000);
        workers[0]!.start();
        timeline.push(`restarted at ${at()}`);

        await sleep(Math.max(0, started + 0.55 * durationMs - performance.now()));
        temporal!.child.kill('SIGKILL');
        await new Promise((resolve) => temporal!.child.once('exit', resolve));
        timeline.push(`Temporal killed at ${at()}`);
        temporal = await startDevServer(temporalOptions);
        lastRestart = performance.now();
        timeline.push(`restarted on its file at ${at()}`);
      })();
      await Promise.all([stream, chaos]);

      const figures = async (): Promise<Figures> => {
        const db = testDb.db.kysely;
        const chaosEvents = await db
          .selectFrom('events')
          .select(['id', 'event', 'body'])
          .where('event', 'like', 'chaos.kind.%')
          .execute();
        const storedIds = new Set(chaosEvents.map((row) => row.id));
        const byKind = new Map<string, number>();
        for (const row of chaosEvents) byKind.set(row.event, (byKind.get(row.event) ?? 0) + 1);
        const firingsExpected = [...byKind.values()].reduce((sum, n) => sum + Math.floor(n / THRESHOLD), 0);

        const bodies = async (names: string[]) =>
          (await db.selectFrom('events').select('body').where('event', 'in', names).execute()).map(
            (row) =>
              JSON.parse(row.body) as {
                id: string;
                event: string;
                resource: Record<string, string>;
                related: Record<string, string>[];
                payload: { triggering_event?: { id: string } };
              },
          );
        const ours = new Set(automationIds.map((id) => `prefect.automation.${id}`));
        const triggered = (await bodies(['prefect.automation.triggered'])).filter((e) =>
          ours.has(e.resource['prefect.resource.id']!),
        );
        const triggeringIds = triggered.map((e) => e.payload.triggering_event?.id);
        const triggeredIds = new Set(triggered.map((e) => e.id));
        const outcomes = (
          await bodies(['prefect.automation.action.executed', 'prefect.automation.action.failed'])
        ).filter((e) =>
          e.related.some(
            (r) =>
              r['prefect.resource.role'] === 'automation-triggered-event' &&
              triggeredIds.has(r['prefect.resource.id']!.replace(/^prefect\.event\./, '')),
          ),
        );

        const runs = await db
          .selectFrom('flow_runs')
          .select(['parameters', 'state_type', 'result'])
          .where('deployment_id', '=', deployment.id)
          .execute();
        const eventsById = new Map(
          chaosEvents.map((row) => [row.id, JSON.parse(row.body) as { payload: { seq: number } }]),
        );
        let wrongParameters = 0;
        let runsCompleted = 0;
        const runEvents = new Set<string>();
        for (const run of runs) {
          const parameters = JSON.parse(run.parameters) as Record<string, unknown>;
          const eventId = String(parameters.event_id);
          runEvents.add(eventId);
          const source = eventsById.get(eventId);
          const right =
            source !== undefined &&
            triggeringIds.includes(eventId) &&
            String(parameters.seq) === String(source.payload.seq) &&
            parameters.kind === `chaos.kind.${source.payload.seq % KINDS}`;
          if (!right) wrongParameters += 1;
          if (run.state_type === 'COMPLETED') {
            runsCompleted += 1;
            // The flow returns what it was given.
            if (JSON.stringify(JSON.parse(run.result ?? 'null')) !== JSON.stringify({ received: parameters })) {
              wrongParameters += 1;
            }
          }
        }

        // An event counted twice would leave a window part-filled once every kind's events are exact multiples.
        let countedTwice = 0;
        let actionsInFlight = 0;
        for (const id of automationIds) {
          const response = await api(apis.find((a) => a.process.running)!.url, 'GET', `/api/automations/${id}/state`);
          const view = (await response.json()) as {
            actions_in_flight?: number;
            state?: { event_triggers?: { buckets: { count: number }[] }[] };
          };
          countedTwice += (view.state?.event_triggers?.[0]?.buckets ?? []).reduce((sum, b) => sum + b.count, 0);
          actionsInFlight += view.actions_in_flight ?? 0;
        }
        const outbox = await sql<{ n: number }>`select count(*) as n from event_outbox`.execute(db);
        return {
          stored: storedIds.size,
          storedDuplicates: chaosEvents.length - storedIds.size,
          firingsExpected,
          firingsSeen: triggered.length,
          firingDuplicates: triggered.length - new Set(triggeringIds).size,
          outcomes: outcomes.length,
          executed: outcomes.filter((e) => e.event.endsWith('.executed')).length,
          failed: outcomes.filter((e) => e.event.endsWith('.failed')).length,
          runsSeen: runs.length,
          runDuplicates: runs.length - runEvents.size,
          runsCompleted,
          wrongParameters,
          countedTwice,
          actionsInFlight,
          outbox: Number(outbox.rows[0]?.n ?? 0),
        };
      };

      let last: Figures | undefined;
      const done = (f: Figures) =>
        f.outbox === 0 &&
        f.firingsSeen >= f.firingsExpected &&
        f.outcomes >= f.firingsSeen &&
        f.runsSeen >= f.firingsExpected &&
        f.runsCompleted >= f.runsSeen;
      // Progress every ten seconds, so a slow drain shows where it stands.
      const progress: string[] = [];
      let nextProgress = 0;
      while (performance.now() - lastRestart < DRAIN_LIMIT_MS) {
        try {
          last = await figures();
          if (done(last)) break;
          if (performance.now() >= nextProgress) {
            nextProgress = performance.now() + 10_000;
            progress.push(
              `${at()}: outbox ${last.outbox}, firings ${last.firingsSeen}, runs ${last.runsSeen} ` +
                `(${last.runsCompleted} completed)`,
            );
          }
        } catch {
          // An api still starting: look again.
        }
        await sleep(2000);
      }
      const drainSeconds = (performance.now() - lastRestart) / 1000;
      // Anything late or doubled would show now.
      await sleep(3000);
      last = await figures();

      process.stdout.write(
        [
          '',
          `chaos: 3 api processes, 2 workers, PostgreSQL, Temporal dev server on a file; ${EVENTS} events at ${RATE}/s`,
          `  ${timeline.join('; ')}`,
          `  events: sent ${EVENTS}, acknowledged ${acknowledged.size} (${resent} requests sent again), refused ${refused}, ` +
            `stored ${last.stored}, stored twice ${last.storedDuplicates}`,
          `  firings: expected ${last.firingsExpected}, seen ${last.firingsSeen}, duplicates ${last.firingDuplicates}, ` +
            `events counted twice ${last.countedTwice}; action outcomes ${last.outcomes} ` +
            `(executed ${last.executed}, failed ${last.failed})`,
          `  flow runs: expected ${last.firingsExpected}, seen ${last.runsSeen}, duplicates ${last.runDuplicates}, ` +
            `completed ${last.runsCompleted}, wrong parameters ${last.wrongParameters}`,
          `  after the stream: ${progress.join('; ')}`,
          `  outbox left ${last.outbox}, firings still running their actions ${last.actionsInFlight}; done ${drainSeconds.toFixed(1)} s after the last restart`,
          '',
        ].join('\n'),
      );
      if (!done(last)) {
        for (const one of [...apis.map((a) => a.process), ...workers]) {
          process.stdout.write(`--- ${one.name}\n${one.tail()}\n`);
        }
      }

      expect(refused).toBe(0);
      expect(acknowledged.size).toBe(EVENTS);
      expect(last.stored).toBe(EVENTS);
      expect(last.storedDuplicates).toBe(0);
      expect(last.firingsExpected).toBe(EVENTS / THRESHOLD);
      expect(last.firingsSeen).toBe(last.firingsExpected);
      expect(last.firingDuplicates).toBe(0);
      expect(last.countedTwice).toBe(0);
      expect(last.outcomes).toBe(last.firingsSeen);
      expect(last.executed).toBe(last.firingsSeen);
      expect(last.runsSeen).toBe(last.firingsExpected);
      expect(last.runDuplicates).toBe(0);
      expect(last.runsCompleted).toBe(last.runsSeen);
      expect(last.wrongParameters).toBe(0);
      expect(last.outbox).toBe(0);
      expect(drainSeconds * 1000).toBeLessThan(DRAIN_LIMIT_MS);
    },
    15 * 60 * 1000,
  );
});
