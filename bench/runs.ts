// The run path under load, on the embedded Temporal dev server: how long from an event's 204 until the flow run it
// triggers has its code running, for a workflow flow (its first activity tells the sink) and a function flow (it
// tells the sink itself), each run by the in-process pool worker of the `default` pool as `npm start` runs it. The
// baseline, measured in the same run on the same server, is the firing path without a run: the same trigger with a
// call-webhook action to the same sink. Each scenario runs at 10 and then 100 events/s; it counts lost and duplicated
// arrivals, checks there is one flow run per event, and reads a sample of the runs' records and workflow histories
// back to say where the time went, stage by stage.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { projectRoot } from '../services/config/project-root';
import { createLogger } from '../services/logging/logger';
import { startDevServer } from '../services/temporal/dev-server';
import { loadConfig } from '../services/config/env';
import { PoolWorker } from '../worker/pool-worker';
import type { FlowRunRecord } from '../db/flow-runs';
import { fmt, percentile, table } from './harness';
import type { LatencyMessage, LatencyRun, LatencySample } from './latency-client';
import { startBenchTripwire } from './triggers';

const RATES = (process.env.BENCH_RUNS_RATES ?? '10,100').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_RUNS_SECONDS ?? 20);
const WARMUP_SECONDS = 3;
/** Runs whose records and histories are read back for the stage table. */
const PROFILE_SAMPLE = 300;

type Scenario = 'baseline: call-webhook, no run' | 'workflow flow' | 'function flow';
const SCENARIOS: Scenario[] = ['baseline: call-webhook, no run', 'workflow flow', 'function flow'];

const FLOWS = path.join(projectRoot(), 'bench', 'flows');

interface Measured {
  scenario: Scenario;
  rate: number;
  samples: LatencySample[];
  duplicates: number;
  /** CPU milliseconds per event: tripwire's process (with its in-process pool worker) and the Temporal server. */
  cpu: { tripwire: number; temporal: number };
  runs?: number;
  stages?: Map<string, number[]>;
}

class LatencyClient {
  private readonly child = fork(path.join(__dirname, 'latency-client.js'), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  private readonly messages: LatencyMessage[] = [];
  private notify: (() => void) | undefined;

  constructor() {
    this.child.on('message', (message) => {
      this.messages.push(message as LatencyMessage);
      this.notify?.();
    });
  }

  async next(): Promise<LatencyMessage> {
    while (this.messages.length === 0) await new Promise<void>((resolve) => (this.notify = resolve));
    const message = this.messages.shift()!;
    if (message.type === 'failed') throw new Error(`bench: the latency client failed: ${message.error}`);
    return message;
  }

  send(run: LatencyRun): void {
    this.child.send(run);
  }

  stop(): void {
    this.child.kill();
  }
}

/** CPU milliseconds a process has used so far (user + system), from /proc. */
function processCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command; in clock ticks (100 per second).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function runScenario(
  address: string,
  temporalPid: number,
  scenario: Scenario,
  client: LatencyClient,
  sink: string,
) {
  // Every run's workflow stays open until its flow ends: a cache as large as `npm start`'s (the SDK's default here is
  // over 2,000), so runs are not evicted and replayed, and eager starts find room.
  const tw = await startBenchTripwire(address, 2000);
  const pool = new PoolWorker(
    tw.services.deployments,
    {
      address,
      namespace: 'default',
      pool: 'default',
      nodeModules: path.join(projectRoot(), 'node_modules'),
      records: tw.services.flowRunRecords,
    },
    createLogger('error'),
  );
  const measured: Measured[] = [];
  try {
    await pool.start();
    const resource = `bench.runs.${scenario.split(' ')[0]}`;
    let deploymentName: string | undefined;
    let action: Record<string, unknown> = { type: 'call-webhook', url: sink, payload: '{{ event.id }}' };
    if (scenario !== 'baseline: call-webhook, no run') {
      const fn = scenario === 'workflow flow';
      deploymentName = fn ? 'ping-workflow' : 'ping-function';
      const deployment = (await tw.api('POST', '/api/deployments', {
        name: deploymentName,
        entrypoint: fn
          ? `${path.join(FLOWS, 'ping-flows.ts')}:pingWorkflow`
          : `${path.join(FLOWS, 'ping-function.ts')}:pingFunction`,
        entrypoint_type: fn ? 'workflow' : 'function',
        ...(fn ? { activities: path.join(FLOWS, 'ping-activities.ts') } : {}),
        work_pool: 'default',
      }))!;
      action = {
        type: 'run-deployment',
        deployment_id: deployment.id,
        parameters: { sink, event_id: '{{ event.id }}' },
      };
      await until(async () => pool.flows.length > 0, 120_000, 'the pool worker to serve the flow');
    }
    await tw.api('POST', '/api/automations', {
      name: `runs-${resource}`,
      trigger: {
        type: 'event',
        posture: 'Reactive',
        match: { 'prefect.resource.id': resource },
        expect: ['bench.ping'],
        threshold: 1,
        within: 0,
      },
      actions: [action],
    });
    const measure = async (rate: number, seconds: number) => {
      // A saturated run path works through its backlog for minutes: wait for it, to count what is lost.
      client.send({
        apiUrl: tw.url,
        apiKey: tw.services.apiKey.key,
        rate,
        seconds,
        resources: [resource],
        waitMs: 900_000,
      });
      const done = await client.next();
      if (done.type !== 'done') throw new Error('bench: unexpected message from the latency client');
      return done;
    };
    await measure(10, WARMUP_SECONDS); // JIT, caches, the automation's workflow
    let expectedRuns = 10 * WARMUP_SECONDS;
    for (const rate of RATES) {
      const before = { tripwire: processCpuMs(process.pid), temporal: processCpuMs(temporalPid) };
      const done = await measure(rate, SECONDS);
      const events = rate * SECONDS;
      const cpu = {
        tripwire: (processCpuMs(process.pid) - before.tripwire) / events,
        temporal: (processCpuMs(temporalPid) - before.temporal) / events,
      };
      expectedRuns += rate * SECONDS;
      const result: Measured = { scenario, rate, samples: done.samples, duplicates: done.duplicates, cpu };
      if (deploymentName) {
        const runs = await runsOf(tw.services.flowRunRecords, deploymentName);
        result.runs = runs.length - (expectedRuns - rate * SECONDS);
        result.stages = await stages(tw.services.temporal.client, runs, done.samples);
      }
      measured.push(result);
    }
    if (deploymentName) {
      const runs = await runsOf(tw.services.flowRunRecords, deploymentName);
      if (runs.length !== expectedRuns)
        process.stdout.write(`runs: ${scenario}: ${runs.length} flow runs for ${expectedRuns} events\n`);
    }
  } finally {
    await pool.stop();
    await tw.stop();
  }
  return measured;
}

async function runsOf(
  records: { list(filter: { deploymentId?: string; limit?: number }): Promise<FlowRunRecord[]> },
  name: string,
): Promise<FlowRunRecord[]> {
  return (await records.list({ limit: 1_000_000 })).filter((run) => run.name.startsWith(`${name}-`));
}

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const millis = (event: HistoryEvent | undefined): number | undefined =>
  event ? Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6 : undefined;

/**
 * Per stage, the milliseconds each sampled run spent in it: from the event's 204 to the run's record (the firing and
 * the run-deployment action), to its workflow's start, to its first workflow task, to Pending recorded, to the flow's
 * code reaching the sink; and, after, to Running recorded.
 */
async function stages(client: Client, runs: FlowRunRecord[], samples: LatencySample[]): Promise<Map<string, number[]>> {
  const byEvent = new Map(runs.map((run) => [String(run.parameters.event_id), run]));
  const out = new Map<string, number[]>();
  const add = (stage: string, from: number | undefined, to: number | undefined) => {
    if (from === undefined || to === undefined) return;
    out.set(stage, [...(out.get(stage) ?? []), to - from]);
  };
  const step = Math.max(1, Math.floor(samples.length / PROFILE_SAMPLE));
  for (let i = 0; i < samples.length; i += step) {
    const sample = samples[i]!;
    const run = byEvent.get(sample.id);
    if (!run) continue;
    const state = (name: string) => {
      const found = run.state_history.find((s) => s.name === name);
      return found ? Date.parse(found.timestamp) : undefined;
    };
    const history = (await client.workflow.getHandle(run.workflow_id).fetchHistory()).events ?? [];
    const first = (type: temporal.api.enums.v1.EventType) => history.find((event) => event.eventType === type);
    const started = millis(first(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED));
    const taskStarted = millis(first(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED));
    const handedOff =
      millis(first(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)) ??
      millis(first(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED));
    add('204 → run recorded (firing, action)', sample.accepted, state('Scheduled'));
    add('run recorded → workflow started', state('Scheduled'), started);
    add('workflow started → first task started', started, taskStarted);
    if (started !== undefined && taskStarted !== undefined && taskStarted - started < 1)
      add('(of which started eagerly)', 0, 0);

    const taskCompleted = millis(first(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED));
    add('first task started → completed (worker)', taskStarted, taskCompleted);
    add('first task started → Pending recorded', taskStarted, state('Pending'));
    add('Pending recorded → flow handed to the pool', state('Pending'), handedOff);
    add('handed to the pool → code running (sink)', handedOff, sample.arrived);
    add('(after) code running → Running recorded', sample.arrived, state('Running'));
  }
  return out;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function benchRuns(): Promise<void> {
  const temporalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-bench-temporal-'));
  const server = await startDevServer({
    cliPath: loadConfig().temporal.cliPath,
    port: 18233 + Math.floor(Math.random() * 1000),
    namespace: 'default',
    dbFile: path.join(temporalDir, 'temporal.sqlite'),
    dbSynchronous: 'normal',
  });
  const client = new LatencyClient();
  const results: Measured[] = [];
  try {
    const sink = await client.next();
    if (sink.type !== 'sink') throw new Error('bench: the latency client did not start its sink');
    const only = process.env.BENCH_RUNS_SCENARIOS?.split(',');
    for (const scenario of SCENARIOS) {
      if (only && !only.some((o) => scenario.startsWith(o))) continue;
      results.push(...(await runScenario(server.address, server.child.pid!, scenario, client, sink.url)));
    }
  } finally {
    client.stop();
    await server.stop();
    fs.rmSync(temporalDir, { recursive: true, force: true });
  }
  printResults(results);
}

function printResults(results: Measured[]): void {
  const baseline = new Map(
    results
      .filter((r) => r.scenario.startsWith('baseline'))
      .map((r) => [
        r.rate,
        percentile(
          r.samples.map((s) => s.arrived - s.accepted),
          50,
        ),
      ]),
  );
  process.stdout.write('\nruns: from the 204 of POST /api/events to the flow code running (workflow flow: its first ');
  process.stdout.write(
    'activity; function flow: the function) or, for the baseline, the call-webhook action arriving\n',
  );
  const rows: (string | number)[][] = [
    [
      'scenario',
      'rate/s',
      'events',
      'runs',
      'lost',
      'dup',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'p50 vs base',
      'cpu ms/event tripwire',
      'temporal',
    ],
  ];
  for (const r of results) {
    const delays = r.samples.map((s) => s.arrived - s.accepted);
    const base = baseline.get(r.rate);
    rows.push([
      r.scenario,
      r.rate,
      delays.length,
      r.runs ?? '-',
      r.rate * SECONDS - delays.length,
      r.duplicates,
      fmt(percentile(delays, 50), 1),
      fmt(percentile(delays, 90), 1),
      fmt(percentile(delays, 99), 1),
      fmt(Math.max(...delays), 1),
      base ? `+${fmt(percentile(delays, 50) - base, 1)}` : '-',
      fmt(r.cpu.tripwire, 1),
      fmt(r.cpu.temporal, 1),
    ]);
  }
  table(rows);
  for (const r of results) {
    if (!r.stages) continue;
    process.stdout.write(`\nruns: where the time went, ${r.scenario} at ${r.rate}/s (a sample of the runs)\n`);
    table([
      ['stage', 'runs', 'p50 ms', 'p99 ms'],
      ...[...r.stages].map(([stage, values]) => [
        stage,
        values.length,
        fmt(percentile(values, 50), 1),
        fmt(percentile(values, 99), 1),
      ]),
    ]);
  }
}
