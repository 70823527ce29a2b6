// A worker process killed with -9 in the middle of a firing's action: the activity heartbeats, so Temporal notices
// within its heartbeat timeout (10 s) and another worker runs the action again, instead of after the 15-minute
// start-to-close timeout. The retry calls the target with the same idempotency key, and the action's outcome event is
// stored once.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { eventually, readJson, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const WORKER_ENTRY = path.resolve(__dirname, '..', '..', 'dist', 'worker', 'main.js');

describe('a worker killed mid-activity', () => {
  let tw: TestTripwire;
  let child: ChildProcess | undefined;
  const requests: { at: number; key: string | undefined }[] = [];
  let sink: http.Server;
  let sinkUrl: string;

  beforeAll(async () => {
    if (!fs.existsSync(WORKER_ENTRY)) throw new Error(`${WORKER_ENTRY} is missing: run "npm run build"`);
    // The first call hangs, as a slow target would, until the worker making it is gone; later ones answer at once.
    sink = http.createServer((req, res) => {
      requests.push({ at: Date.now(), key: req.headers['idempotency-key'] as string | undefined });
      req.resume();
      if (requests.length > 1) res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;
    tw = await startTestTripwire({ dialect: 'postgres', worker: false });
  });
  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    sink.closeAllConnections();
    sink.close();
    await tw?.stop();
  });

  it('hands the action to another worker within seconds, and stores its outcome once', async () => {
    const { config } = tw.services;
    let output = '';
    child = spawn(process.execPath, [WORKER_ENTRY], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!,
        TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
        DATABASE_URL: config.databaseUrl!,
        TRIPWIRE_DATA_DIR: config.dataDir,
        TRIPWIRE_API_KEY: tw.apiKey,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(async () => (output.includes('worker polling') ? true : undefined), 60_000, 'the worker process');

    const automation = await readJson(
      await tw.api('POST', '/api/automations', {
        name: 'crash-mid-action',
        trigger: { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': 'crash.worker' } },
        actions: [{ type: 'call-webhook', url: `${sinkUrl}/hook`, payload: '{"n": 1}', timeout_seconds: 60 }],
      }),
    );
    expect(automation.id).toBeDefined();
    const emitted = await tw.api('POST', '/api/events', {
      event: 'go',
      resource: { 'prefect.resource.id': 'crash.worker' },
    });
    expect(emitted.status).toBe(204);
    await eventually(async () => (requests.length === 1 ? true : undefined), 60_000, 'the action to start');

    child.kill('SIGKILL');
    const killedAt = Date.now();
    await tw.startWorker();

    const outcomes = async (name: string) =>
      (
        await readJson(await tw.api('GET', `/api/events?resource=prefect.automation.${automation.id}&limit=100`))
      ).events.filter((e: { event: string }) => e.event === name);
    await eventually(
      async () => ((await outcomes('prefect.automation.action.executed')).length > 0 ? true : undefined),
      60_000,
      'the action to be run by the other worker',
    );
    const tookMs = Date.now() - killedAt;
    process.stdout.write(`action completed ${tookMs} ms after kill -9 of its worker\n`);
    // Heartbeat timeout (10 s) plus a retry and a loaded machine's scheduling, far from 15 minutes.
    expect(tookMs).toBeLessThan(45_000);

    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await outcomes('prefect.automation.action.executed')).toHaveLength(1);
    expect(await outcomes('prefect.automation.action.failed')).toHaveLength(0);
    expect(await outcomes('prefect.automation.triggered')).toHaveLength(1);
    expect(await outcomes('prefect.automation.action.triggered')).toHaveLength(1);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.key).toBe(requests[0]!.key);
  }, 180_000);
});
