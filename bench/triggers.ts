// Trigger workflows under load, on the embedded Temporal dev server: how many matching events per second reach trigger
// workflows and are counted (one trigger; 100 automations; one for_each trigger over 10,000 keys), and how long an
// event takes from its 204 to its action running (p50, p99) at a steady 100 events/s. The baselines are measured in
// the same run: for throughput, storing the same events with no automation at all; for latency, the same path
// unloaded (10 events/s).
import { loadConfig } from '../services/config/env';
import crypto from 'node:crypto';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Event } from '../core/events/schema';
import { buildApp, listen } from '../api/server';
import { startWorker } from '../worker/tripwire-worker';
import { type SqliteSynchronous, startDevServer } from '../services/temporal/dev-server';
import { benchServices, fmt, percentile, table } from './harness';
import type { LatencyMessage, LatencyRun } from './latency-client';
import { profileWorkflowTasks, workflowTaskRows } from './workflow-tasks';

const EVENTS = Number(process.env.BENCH_TRIGGER_EVENTS ?? 5000);
const KEYS = Number(process.env.BENCH_FOR_EACH_KEYS ?? 10_000);
const RATE = Number(process.env.BENCH_LATENCY_RATE ?? 100);
// Spread over several automations, the same rate shows what one workflow's one-task-at-a-time costs.
const LATENCY_AUTOMATIONS = Number(process.env.BENCH_LATENCY_AUTOMATIONS ?? 1);
// Long enough that the busiest workflow continues as new a few times during the run, as it would when sustained.
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 30);
// The unloaded run measured first; it also warms the path up (JIT, the workflow in the worker's cache).
const BASELINE_RATE = 10;
const BASELINE_SECONDS = 5;

// Where the dev server keeps its state: by default a file, as `npm start` runs it (TEMPORAL_DB_SYNCHRONOUS's
// default); `full` syncs every commit; `memory` shows what persistence costs.
type TemporalDb = SqliteSynchronous | 'memory';
function parseTemporalDb(value: string | undefined): TemporalDb {
  if (value === undefined || value === '' || value === 'normal') return 'normal';
  if (value === 'full' || value === 'memory') return value;
  throw new Error(`BENCH_TEMPORAL_DB must be normal, full or memory, not ${JSON.stringify(value)}`);
}

type Tripwire = Awaited<ReturnType<typeof startBenchTripwire>>;

export async function startBenchTripwire(address: string, maxCachedWorkflows = 500) {
  const { services, cleanup } = await benchServices(address);
  await services.registry.start();
  const worker = await startWorker(services, { maxCachedWorkflows });
  services.router.start();
  const server = await listen(buildApp(services), '127.0.0.1', 0);
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${services.apiKey.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>);
  };
  return {
    services,
    api,
    url: server.url,
    stop: async () => {
      await server.close();
      await services.router.stop();
      await worker.stop();
      services.registry.stop();
      services.automationService.stop();
      await cleanup();
    },
  };
}

function event(name: string, resource: string): Event {
  return {
    id: crypto.randomUUID(),
    occurred: new Date().toISOString(),
    event: name,
    resource: { 'prefect.resource.id': resource },
    related: [],
    payload: {},
    follows: null,
  };
}

const counting = (name: string, resource: string, threshold: number, extra: Record<string, unknown> = {}) => ({
  name,
  actions: [{ type: 'do-nothing' }],
  trigger: {
    type: 'event',
    posture: 'Reactive',
    match: { 'prefect.resource.id': resource },
    expect: ['bench.counted'],
    threshold,
    within: 3600,
    ...extra,
  },
});

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Waits until every automation's workflow runs and answers its state query, i.e. has completed its first workflow
 * task: starting a workflow costs the worker far more than an event does, and the throughput runs measure the
 * sustained rate, not start-up.
 */
async function untilRunning(tw: Tripwire, automationIds: string[]): Promise<void> {
  const running = async (id: string) => {
    try {
      return ((await tw.api('GET', `/api/automations/${id}/state`)) as { running?: boolean }).running === true;
    } catch {
      return false; // the first workflow task has not completed yet
    }
  };
  await until(
    async () => (await Promise.all(automationIds.map(running))).every(Boolean),
    120_000,
    'the workflows to start',
  );
}

/** Stores `events` in batches of 100, as a busy sender's batches arrive; returns the seconds it took. */
async function store(tw: Tripwire, events: Event[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < events.length; i += 100) await tw.services.pipeline.store(events.slice(i, i + 100));
  return (performance.now() - started) / 1000;
}

async function firingsOf(tw: Tripwire, automationIds: string[]): Promise<number> {
  const page = (await tw.api('GET', '/api/events?event=prefect.automation.triggered&limit=500')) as {
    events: { resource: Record<string, string> }[];
  };
  const ids = new Set(automationIds.map((id) => `prefect.automation.${id}`));
  return page.events.filter((e) => ids.has(e.resource['prefect.resource.id']!)).length;
}

async function throughput(address: string): Promise<(string | number)[][]> {
  const rows: (string | number)[][] = [['scenario', 'events', 'seconds', 'events/s', 'ratio']];
  let baseline = 0;
  const scenarios: { name: string; run(tw: Tripwire): Promise<number> }[] = [
    {
      name: 'baseline: stored, no automation',
      run: async (tw) =>
        store(
          tw,
          Array.from({ length: EVENTS }, () => event('bench.counted', 'bench.nobody')),
        ),
    },
    {
      name: 'one trigger counting every event',
      run: async (tw) => {
        const automation = (await tw.api('POST', '/api/automations', counting('one', 'bench.one', EVENTS)))!;
        await untilRunning(tw, [automation.id as string]);
        const started = performance.now();
        await store(
          tw,
          Array.from({ length: EVENTS }, () => event('bench.counted', 'bench.one')),
        );
        // It fires exactly when the last event has been counted: nothing lost, nothing counted twice.
        await until(async () => (await firingsOf(tw, [automation.id as string])) === 1, 300_000, 'the firing');
        return (performance.now() - started) / 1000;
      },
    },
    {
      name: '100 automations, each counting its share',
      run: async (tw) => {
        const ids: string[] = [];
        for (let i = 0; i < 100; i += 1) {
          ids.push(
            (await tw.api('POST', '/api/automations', counting(`a${i}`, `bench.a.${i}`, EVENTS / 100)))!.id as string,
          );
        }
        await untilRunning(tw, ids);
        const started = performance.now();
        await store(
          tw,
          Array.from({ length: EVENTS }, (_, i) => event('bench.counted', `bench.a.${i % 100}`)),
        );
        await until(async () => (await firingsOf(tw, ids)) === 100, 300_000, 'the 100 firings');
        return (performance.now() - started) / 1000;
      },
    },
  ];
  for (const scenario of scenarios) {
    const tw = await startBenchTripwire(address);
    try {
      const seconds = await scenario.run(tw);
      const rate = EVENTS / seconds;
      if (baseline === 0) baseline = rate;
      rows.push([scenario.name, EVENTS, fmt(seconds, 2), fmt(rate), fmt(rate / baseline, 2)]);
    } finally {
      await tw.stop();
    }
  }

  // for_each over many keys: one workflow holding a bucket per key (threshold 2, so none fires).
  const tw = await startBenchTripwire(address);
  try {
    const automation = (await tw.api(
      'POST',
      '/api/automations',
      counting('keys', 'bench.key.*', 2, { for_each: ['prefect.resource.id'] }),
    ))!;
    await untilRunning(tw, [automation.id as string]);
    const started = performance.now();
    await store(
      tw,
      Array.from({ length: KEYS }, (_, i) => event('bench.counted', `bench.key.${i}`)),
    );
    await until(
      async () => {
        const view = (await tw.api('GET', `/api/automations/${automation.id as string}/state`)) as {
          state?: { event_triggers?: { buckets: unknown[] }[] };
        };
        return (view.state?.event_triggers?.[0]?.buckets.length ?? 0) >= KEYS;
      },
      600_000,
      `${KEYS} buckets`,
    );
    const seconds = (performance.now() - started) / 1000;
    rows.push([
      `for_each over ${fmt(KEYS)} keys`,
      KEYS,
      fmt(seconds, 2),
      fmt(KEYS / seconds),
      fmt(KEYS / seconds / baseline, 2),
    ]);
  } finally {
    await tw.stop();
  }
  return rows;
}

/**
 * Sends RATE events/s over HTTP for LATENCY_SECONDS from another process, after an unloaded baseline run of
 * BASELINE_RATE events/s; each fires a call-webhook action back to it. The sender and receiver live outside
 * tripwire's process so that their work is not charged to tripwire.
 */
async function latency(address: string): Promise<{ delays: (string | number)[][]; tasks: (string | number)[][] }> {
  const client = fork(path.join(__dirname, 'latency-client.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: LatencyMessage[] = [];
  let notify: (() => void) | undefined;
  client.on('message', (message) => {
    messages.push(message as LatencyMessage);
    notify?.();
  });
  const next = async (): Promise<LatencyMessage> => {
    while (messages.length === 0) await new Promise<void>((resolve) => (notify = resolve));
    const message = messages.shift()!;
    if (message.type === 'failed') throw new Error(`bench: the latency client failed: ${message.error}`);
    return message;
  };
  const tw = await startBenchTripwire(address);
  try {
    const sink = await next();
    if (sink.type !== 'sink') throw new Error('bench: the latency client did not start its sink');
    const resources = Array.from({ length: LATENCY_AUTOMATIONS }, (_, i) => `bench.latency.${i}`);
    const workflowIds: string[] = [];
    for (const [i, resource] of resources.entries()) {
      const automation = await tw.api('POST', '/api/automations', {
        name: `latency-${i}`,
        trigger: {
          type: 'event',
          posture: 'Reactive',
          match: { 'prefect.resource.id': resource },
          expect: ['bench.ping'],
          threshold: 1,
          within: 0,
        },
        actions: [{ type: 'call-webhook', url: sink.url, payload: '{{ event.id }}' }],
      });
      workflowIds.push(automation!.workflow_id as string);
    }
    const measure = async (rate: number, seconds: number): Promise<number[]> => {
      const run: LatencyRun = { apiUrl: tw.url, apiKey: tw.services.apiKey.key, rate, seconds, resources };
      client.send(run);
      const done = await next();
      if (done.type !== 'done') throw new Error('bench: unexpected message from the latency client');
      return [...done.delays];
    };
    // The baseline: the same path unloaded, in the same minute, so a slow machine shows as a slow baseline.
    const baseline = await measure(BASELINE_RATE, BASELINE_SECONDS);
    const loaded = await measure(RATE, LATENCY_SECONDS);
    if (process.env.BENCH_LATENCY_TIMELINE) printTimeline(loaded);
    const tasks = await profileWorkflowTasks(tw.services.temporal.client, workflowIds);
    const baselineP50 = percentile(baseline, 50);
    const row = (label: string, delays: number[]) => [
      label,
      LATENCY_AUTOMATIONS,
      delays.length,
      fmt(percentile(delays, 50), 1),
      fmt(percentile(delays, 90), 1),
      fmt(percentile(delays, 99), 1),
      fmt(Math.max(...delays), 1),
      fmt(percentile(delays, 50) / baselineP50, 2),
    ];
    return {
      delays: [
        ['rate', 'automations', 'events', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p50 ratio'],
        row(`${BASELINE_RATE}/s (baseline)`, baseline),
        row(`${RATE}/s`, loaded),
      ],
      tasks: workflowTaskRows(tasks),
    };
  } finally {
    client.kill();
    await tw.stop();
  }
}

// Per second of sending, the median and worst delay: a stall shows as a run of slow seconds, not as one tail figure.
function printTimeline(delays: number[]): void {
  process.stdout.write('second  p50 ms  max ms\n');
  for (let from = 0; from < delays.length; from += RATE) {
    const second = delays.slice(from, from + RATE).sort((a, b) => a - b);
    const median = second[Math.floor(second.length / 2)]!;
    process.stdout.write(
      `${String(from / RATE).padStart(6)}  ${fmt(median, 1).padStart(6)}  ${fmt(second.at(-1)!, 1).padStart(6)}\n`,
    );
  }
}

export async function benchTriggers(): Promise<void> {
  const temporalDb = parseTemporalDb(process.env.BENCH_TEMPORAL_DB);
  const temporalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-bench-temporal-'));
  const server = await startDevServer({
    cliPath: loadConfig().temporal.cliPath,
    port: 18233 + Math.floor(Math.random() * 1000),
    namespace: 'default',
    ...(temporalDb === 'memory'
      ? {}
      : { dbFile: path.join(temporalDir, 'temporal.sqlite'), dbSynchronous: temporalDb }),
  });
  process.stdout.write(`triggers: the Temporal dev server keeps its state ${describeTemporalDb(temporalDb)}\n`);
  try {
    if (process.env.BENCH_TRIGGERS !== 'latency') {
      const rows = await throughput(server.address);
      process.stdout.write(
        '\ntriggers: matching events into trigger workflows (SQLite, embedded Temporal dev server)\n',
      );
      table(rows);
    }
    const latencyRows = await latency(server.address);
    process.stdout.write('\ntriggers: from the 204 of POST /api/events to the call-webhook action reaching its URL\n');
    table(latencyRows.delays);
    process.stdout.write("\ntriggers: the latency runs' automation workflows, from their histories\n");
    table(latencyRows.tasks);
  } finally {
    await server.stop();
    fs.rmSync(temporalDir, { recursive: true, force: true });
  }
}

function describeTemporalDb(mode: TemporalDb): string {
  if (mode === 'memory') return 'in memory (BENCH_TEMPORAL_DB=memory)';
  return `in a SQLite file as npm start does, synchronous=${mode}`;
}
