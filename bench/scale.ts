// tripwire scaled out: ingest throughput (POST /api/events, one event per request) and matching-event throughput
// (events counted by ten automations' trigger workflows) with one and with two api processes (the compiled entry, as
// docker-compose runs it) on one PostgreSQL, with one worker process and a Temporal dev server in memory. The one-api
// rows are the baselines of the two-api rows, measured in the same run; every scenario starts on a fresh database.
//
// What to expect: ingest is CPU in the api process (HTTP, JSON, validation) plus a PostgreSQL commit, so it grows
// with api processes until the cores or PostgreSQL run out. Matching events are routed by the one process holding the
// router's lease, whatever the count of api processes (that keeps each automation's events in order), and counted by
// the workers; they scale with workers and Temporal, not api processes. On a 2-core machine the load generator,
// PostgreSQL, Temporal and the processes share two cores, so a second api process cannot add throughput; the point
// here is that it costs none and stays correct.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig } from '../services/config/env';
import { type DevServer, startDevServer } from '../services/temporal/dev-server';
import { freePort } from '../test/helpers/ports';
import { distEntry, NodeProcess } from '../test/helpers/processes';
import { startPostgres, stopPostgres, type TestPostgres } from '../test/setup/postgres';
import { fmt, load, table } from './harness';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_SCALE_CONNECTIONS ?? 32);
const MATCHING_EVENTS = Number(process.env.BENCH_SCALE_EVENTS ?? 10_000);
const AUTOMATIONS = 10;
const API_KEY = 'bench-scale';

interface Cluster {
  apis: { process: NodeProcess; url: string }[];
  worker: NodeProcess;
  database: string;
  stop(): Promise<void>;
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `apiCount` api processes and one worker on a fresh database. */
async function startCluster(adminUrl: string, temporal: DevServer, apiCount: number, dir: string): Promise<Cluster> {
  const database = `scale_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${database}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const env = {
    DATABASE_URL: url.toString(),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `scale-${database}`,
    TRIPWIRE_API_KEY: API_KEY,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    HOST: '127.0.0.1',
  };
  const apis: Cluster['apis'] = [];
  for (let i = 0; i < apiCount; i += 1) {
    const port = await freePort();
    const api = new NodeProcess(
      `api ${i}`,
      distEntry('api/main.js'),
      { ...env, PORT: String(port), TRIPWIRE_DATA_DIR: path.join(dir, `${database}-api-${i}`) },
      path.join(dir, `${database}-api-${i}.log`),
    );
    api.start();
    const apiUrl = `http://127.0.0.1:${port}`;
    apis.push({ process: api, url: apiUrl });
    // One at a time: the first applies the migrations.
    await until(async () => (await fetch(`${apiUrl}/readyz`)).ok, 60_000, `${api.name} to be ready`);
  }
  const worker = new NodeProcess(
    'worker',
    distEntry('worker/main.js'),
    { ...env, TRIPWIRE_DATA_DIR: path.join(dir, `${database}-worker`) },
    path.join(dir, `${database}-worker.log`),
  );
  worker.start();
  return {
    apis,
    worker,
    database: url.toString(),
    stop: async () => {
      await Promise.all([...apis.map((api) => api.process.stop()), worker.stop()]);
      await adminQuery(adminUrl, `drop database if exists ${database} with (force)`);
    },
  };
}

async function post(url: string, route: string, body: unknown): Promise<Response> {
  const response = await fetch(`${url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`POST ${route}: ${response.status} ${await response.text()}`);
  return response;
}

/** Events/s that POST /api/events stores, with the load split evenly over the cluster's api processes. */
async function ingest(cluster: Cluster): Promise<{ rate: number; errors: number }> {
  const body = JSON.stringify({ event: 'bench.ingest', resource: { 'prefect.resource.id': 'bench.nobody' } });
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  // The same two load generators in every scenario, so their own CPU use is the same too.
  const targets = [0, 1].map((i) => `${cluster.apis[i % cluster.apis.length]!.url}/api/events`);
  const run = (seconds: number) =>
    Promise.all(targets.map((url) => load(url, { seconds, connections: CONNECTIONS / 2, body, headers })));
  await run(2); // warm-up: JIT, connections, PostgreSQL's caches
  const results = await run(SECONDS);
  return {
    rate: results.reduce((sum, r) => sum + r.rps, 0),
    errors: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
  };
}

/** Events/s from the first POST to the last event counted by the automations (each fires on its last event). */
async function matching(cluster: Cluster): Promise<{ rate: number; firings: number }> {
  const share = MATCHING_EVENTS / AUTOMATIONS;
  const db = new pg.Client({ connectionString: cluster.database });
  await db.connect();
  try {
    for (let i = 0; i < AUTOMATIONS; i += 1) {
      const created = await post(cluster.apis[i % cluster.apis.length]!.url, '/api/automations', {
        name: `scale-${i}`,
        actions: [{ type: 'do-nothing' }],
        trigger: {
          type: 'event',
          posture: 'Reactive',
          match: { 'prefect.resource.id': `bench.a.${i}` },
          expect: ['bench.counted'],
          threshold: share,
          within: 3600,
        },
      });
      const { id } = (await created.json()) as { id: string };
      await until(
        async () => {
          const response = await fetch(`${cluster.apis[0]!.url}/api/automations/${id}/state`, {
            headers: { authorization: `Bearer ${API_KEY}` },
          });
          return ((await response.json()) as { running?: boolean }).running === true;
        },
        120_000,
        'the automation workflows to start',
      );
    }
    const firings = async () =>
      Number(
        (await db.query(`select count(*) as n from events where event = 'prefect.automation.triggered'`)).rows[0].n,
      );
    const batches = Array.from({ length: MATCHING_EVENTS / 100 }, (_, b) =>
      Array.from({ length: 100 }, (_, i) => ({
        event: 'bench.counted',
        resource: { 'prefect.resource.id': `bench.a.${(b * 100 + i) % AUTOMATIONS}` },
      })),
    );
    const started = performance.now();
    let next = 0;
    // Four senders, each batch to the next api process in turn.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let b = next++; b < batches.length; b = next++) {
          await post(cluster.apis[b % cluster.apis.length]!.url, '/api/events', batches[b]);
        }
      }),
    );
    await until(async () => (await firings()) >= AUTOMATIONS, 600_000, 'every automation to fire');
    const seconds = (performance.now() - started) / 1000;
    // Nothing lost (each fires only on its last event) and nothing counted twice (no second firing).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return { rate: MATCHING_EVENTS / seconds, firings: await firings() };
  } finally {
    await db.end();
  }
}

export async function benchScale(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-bench-scale-'));
  let postgres: TestPostgres | undefined;
  const adminUrl = process.env.BENCH_DATABASE_URL ?? (postgres = startPostgres(await freePort())).url;
  const temporal = await startDevServer({
    cliPath: loadConfig().temporal.cliPath,
    port: await freePort(),
    namespace: 'default',
    logFile: path.join(dir, 'temporal.log'),
  });
  const rows: (string | number)[][] = [['scenario', 'api processes', 'events/s', 'ratio', 'correct']];
  try {
    let baseline = 0;
    for (const apiCount of [1, 2]) {
      const cluster = await startCluster(adminUrl, temporal, apiCount, dir);
      try {
        const { rate, errors } = await ingest(cluster);
        if (apiCount === 1) baseline = rate;
        rows.push([
          'ingest: POST /api/events, one event per request',
          apiCount,
          fmt(rate),
          fmt(rate / baseline, 2),
          errors === 0 ? 'yes' : `${errors} errors`,
        ]);
      } finally {
        await cluster.stop();
      }
    }
    for (const apiCount of [1, 2]) {
      const cluster = await startCluster(adminUrl, temporal, apiCount, dir);
      try {
        const { rate, firings } = await matching(cluster);
        if (apiCount === 1) baseline = rate;
        rows.push([
          `matching: ${fmt(MATCHING_EVENTS)} events counted by ${AUTOMATIONS} automations`,
          apiCount,
          fmt(rate),
          fmt(rate / baseline, 2),
          firings === AUTOMATIONS ? 'yes' : `${firings} firings, not ${AUTOMATIONS}`,
        ]);
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    await temporal.stop();
    if (postgres) stopPostgres(postgres);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `\nscale: api processes on one PostgreSQL${postgres ? ' (a throwaway cluster, fsync off)' : ''}, ` +
      `one worker process, the Temporal dev server in memory, ${os.cpus().length} cores\n`,
  );
  table(rows);
}
