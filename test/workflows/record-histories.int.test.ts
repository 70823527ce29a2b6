// Records the replay fixtures of test/fixtures/histories: real histories of each workflow type, made by the code of the
// moment against the real dev server. It runs only when asked (TRIPWIRE_RECORD_HISTORIES=1 npx jest
// test/workflows/record-histories.int.test.ts), because a fixture is recorded once, by the code it protects, and kept:
// replay.test.ts then checks that every later version of the workflows still replays it. A fixture that exists is never
// written again (TRIPWIRE_RECORD_OVERWRITE=1 forces it): record new behaviour under a new name (TRIPWIRE_RECORD_ONLY=<name
// prefix> records just those).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { rolloverSignal } from '../../workflows/messages';
import { automationWorkflowId } from '../../workflows/ids';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../helpers/tripwire';
import type { PoolWorker } from '../../worker/pool-worker';

const HISTORIES = path.resolve(__dirname, '..', 'fixtures', 'histories');
const FLOWS = path.resolve(__dirname, '..', 'fixtures', 'flows', 'test-flows.ts');
const recording = process.env.TRIPWIRE_RECORD_HISTORIES === '1';
const only = process.env.TRIPWIRE_RECORD_ONLY;
const maybe = recording ? describe : describe.skip;

interface FlowRun {
  id: string;
  state: { name: string };
  workflow_id?: string;
}

maybe('recording replay fixtures', () => {
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;

  beforeAll(async () => {
    tw = await startTestTripwire({ env: { TRIPWIRE_LATE_RUNS_AFTER: '1' } });
    // As `tripwire worker --pool` runs it: starts and results reach the run's workflow (by signal and result).
    ({ pool, name: poolName } = await startTestPool(tw, undefined, undefined, { signalStarts: true }));
    fs.mkdirSync(HISTORIES, { recursive: true });
  });
  afterAll(async () => {
    await pool?.stop();
    await tw?.stop();
  });

  const client = () => tw.services.temporal.client;
  const wanted = (name: string) => !only || name.startsWith(only);

  /** Saves the history of every run of `workflowId` (oldest first: continue-as-new chains are followed back). */
  const save = async (name: string, workflowId: string) => {
    process.stdout.write(`recording ${name}\n`);
    const runs: { runId: string | undefined; json: string }[] = [];
    let runId: string | undefined;
    for (;;) {
      const history = await client().workflow.getHandle(workflowId, runId).fetchHistory();
      runs.unshift({ runId, json: historyToJSON(history) });
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const previous = started?.continuedExecutionRunId;
      if (!previous) break;
      runId = previous;
    }
    runs.forEach(({ json }, index) => {
      const file = runs.length === 1 ? `${name}.json` : `${name}.run-${index + 1}.json`;
      if (fs.existsSync(path.join(HISTORIES, file)) && process.env.TRIPWIRE_RECORD_OVERWRITE !== '1') return;
      fs.writeFileSync(path.join(HISTORIES, file), json + '\n');
    });
  };
  const closed = (workflowId: string) =>
    eventually(
      async () => {
        const description = await client().workflow.getHandle(workflowId).describe();
        return description.status.name === 'RUNNING' ? undefined : description;
      },
      60_000,
      `${workflowId} to close`,
    );
  const deploy = async (
    name: string,
    flow: string,
    parameters: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ) => {
    const response = await tw.api('POST', '/api/deployments', {
      name,
      entrypoint: `${FLOWS}:${flow}`,
      work_pool: { name: poolName },
      parameters,
      ...extra,
    });
    expect([200, 201]).toContain(response.status);
    return response.json();
  };
  const run = async (deployment: string, body: Record<string, unknown> = {}): Promise<FlowRun> =>
    (await tw.api('POST', `/api/deployments/${deployment}/runs`, body)).json();
  const waitForState = (id: string, name: string) =>
    eventually(
      async () => {
        const current = (await (await tw.api('GET', `/api/flow-runs/${id}`)).json()) as FlowRun;
        return current.state.name === name ? current : undefined;
      },
      60_000,
      `flow run ${id} to be ${name}`,
    ).catch(async (error: unknown) => {
      const run = (await (await tw.api('GET', `/api/flow-runs/${id}`)).json()) as FlowRun;
      throw new Error(`${(error as Error).message}; it is ${JSON.stringify(run)}`);
    });
  const workflowIdOf = async (id: string) => (await tw.services.flowRunRecords.get(id))!.workflow_id;

  it('records flow-run workflows and a test flow', async () => {
    if (!wanted('flow-run') && !wanted('test-flow')) return;
    await deploy('record-echo', 'echoFlow', { a: 1 });
    await deploy('record-slow', 'slowFlow', { seconds: 300 });
    await deploy('record-failing', 'failingFlow');

    const completed = await run('record-echo', { parameters: { b: [1, 'two', { three: 3 }] } });
    await waitForState(completed.id, 'Completed');
    await closed(await workflowIdOf(completed.id));
    await save('flow-run-completed', await workflowIdOf(completed.id));
    await save('test-flow-echo', `flow/${completed.id}`);

    const scheduled = await run('record-echo', { schedule_after: 'PT2H' });
    await tw.api('POST', `/api/flow-runs/${scheduled.id}/cancel`);
    await closed(await workflowIdOf(scheduled.id));
    await save('flow-run-cancelled-while-scheduled', await workflowIdOf(scheduled.id));

    const slow = await run('record-slow');
    await waitForState(slow.id, 'Running');
    await tw.api('POST', `/api/flow-runs/${slow.id}/cancel`);
    await waitForState(slow.id, 'Cancelled');
    await closed(await workflowIdOf(slow.id));
    await save('flow-run-cancelled-while-running', await workflowIdOf(slow.id));
    await closed(`flow/${slow.id}`);
    await save('test-flow-slow-cancelled', `flow/${slow.id}`);

    const failing = await run('record-failing');
    await waitForState(failing.id, 'Failed');
    await closed(await workflowIdOf(failing.id));
    await save('flow-run-failed', await workflowIdOf(failing.id));
  });

  it('records flowRunWorkflowV2: workflow and function flows, retries, cancellation, Late, a timeout', async () => {
    if (!wanted('flow-run-v2') && !wanted('test-flow-v2')) return;
    const functions = path.resolve(__dirname, '..', 'fixtures', 'flows', 'function-flows.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-record-'));
    const fn = (name: string, extra: Record<string, unknown> = {}) =>
      deploy(
        name,
        'unused',
        {},
        { entrypoint: `${functions}:${name.replace(/^v2-/, '')}`, entrypoint_type: 'function', ...extra },
      );

    await deploy('v2-echo', 'echoFlow', { a: 1 });
    const completed = await run('v2-echo', { parameters: { b: 2 } });
    await waitForState(completed.id, 'Completed');
    await closed(await workflowIdOf(completed.id));
    await save('flow-run-v2-workflow-completed', await workflowIdOf(completed.id));
    await save('test-flow-v2-echo-reports-start', `flow/${completed.id}`);

    await deploy('v2-failing', 'failingFlow', {}, { retries: 1 });
    const failed = await run('v2-failing');
    await waitForState(failed.id, 'Failed');
    await closed(await workflowIdOf(failed.id));
    await save('flow-run-v2-workflow-retried-failed', await workflowIdOf(failed.id));

    await fn('v2-flakyFunction', { retries: 2, retry_delay_seconds: 1 });
    const flaky = await run('v2-flakyFunction', { parameters: { counter: path.join(dir, 'counter'), failures: 2 } });
    await waitForState(flaky.id, 'Completed');
    await closed(await workflowIdOf(flaky.id));
    await save('flow-run-v2-function-retries', await workflowIdOf(flaky.id));

    await fn('v2-waitForAbort');
    const started = path.join(dir, 'started');
    const waiting = await run('v2-waitForAbort', { parameters: { started, marker: path.join(dir, 'marker') } });
    await waitForState(waiting.id, 'Running');
    await tw.api('POST', `/api/flow-runs/${waiting.id}/cancel`);
    await waitForState(waiting.id, 'Cancelled');
    await closed(await workflowIdOf(waiting.id));
    await save('flow-run-v2-function-cancelled', await workflowIdOf(waiting.id));

    await fn('v2-bigResult', { timeout_seconds: 1 });
    const big = await run('v2-bigResult', { parameters: { bytes: 10 } });
    await waitForState(big.id, 'Completed');
    await closed(await workflowIdOf(big.id));
    await save('flow-run-v2-function-completed', await workflowIdOf(big.id));

    // A pool worker in tripwire's process records the start and the end itself.
    const { pool: local, name: localPool } = await startTestPool(tw);
    try {
      await tw.api('POST', '/api/deployments', {
        name: 'v2-local',
        entrypoint: `${functions}:echoFunction`,
        entrypoint_type: 'function',
        work_pool: localPool,
      });
      const localRun = await run('v2-local', { parameters: { n: 1 } });
      await waitForState(localRun.id, 'Completed');
      await closed(await workflowIdOf(localRun.id));
      await save('flow-run-v2-function-recorded-by-worker', await workflowIdOf(localRun.id));
    } finally {
      await local.stop();
    }

    const scheduled = await run('v2-echo', { schedule_after: 'PT2H' });
    await tw.api('POST', `/api/flow-runs/${scheduled.id}/cancel`);
    await closed(await workflowIdOf(scheduled.id));
    await save('flow-run-v2-cancelled-while-scheduled', await workflowIdOf(scheduled.id));

    // Nothing polls its pool: Pending, then Late; then a worker comes and it runs.
    const idle = `idle-${crypto.randomBytes(3).toString('hex')}`;
    await tw.api('POST', '/api/deployments', {
      name: 'v2-late',
      entrypoint: `${FLOWS}:echoFlow`,
      work_pool: idle,
    });
    const lateRun = await run('v2-late');
    await waitForState(lateRun.id, 'Late');
    const { pool: late } = await startTestPool(tw, undefined, idle, { signalStarts: true });
    try {
      await waitForState(lateRun.id, 'Completed');
      await closed(await workflowIdOf(lateRun.id));
      await save('flow-run-v2-late-then-completed', await workflowIdOf(lateRun.id));
    } finally {
      await late.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('records automation workflows: firings with actions, a timer, a definition change, continue-as-new', async () => {
    if (!wanted('automation')) return;
    const tag = crypto.randomBytes(4).toString('hex');
    const deployment = await deploy('record-triggered', 'echoFlow');
    const emit = (event: string, resource: string) =>
      tw.api('POST', '/api/events', { id: crypto.randomUUID(), event, resource: { 'prefect.resource.id': resource } });
    const firingsOf = async (automationId: string) =>
      (
        (await (await tw.api('GET', `/api/events?resource=prefect.automation.${automationId}&limit=500`)).json())
          .events as { event: string }[]
      ).filter((e) => e.event === 'prefect.automation.triggered').length;

    // Reactive: every event fires, running a deployment and a do-nothing; then it rolls over (continue-as-new) and
    // fires once more in the new run, then is disabled.
    const reactive = await (
      await tw.api('POST', '/api/automations', {
        name: `record-reactive-${tag}`,
        trigger: {
          type: 'event',
          posture: 'Reactive',
          match: { 'prefect.resource.id': `record.${tag}` },
          expect: ['record.pinged'],
        },
        actions: [
          { type: 'run-deployment', deployment_id: deployment.id, parameters: { event_id: '{{ event.id }}' } },
          { type: 'do-nothing' },
        ],
      })
    ).json();
    const reactiveId = automationWorkflowId(reactive.name, reactive.id);
    for (let i = 0; i < 3; i += 1) await emit('record.pinged', `record.${tag}`);
    await eventually(async () => ((await firingsOf(reactive.id)) >= 3 ? true : undefined), 60_000, 'three firings');
    const firstRun = (await client().workflow.getHandle(reactiveId).describe()).runId;
    await client().workflow.getHandle(reactiveId).signal(rolloverSignal);
    await eventually(
      async () => ((await client().workflow.getHandle(reactiveId).describe()).runId !== firstRun ? true : undefined),
      60_000,
      'the rollover',
    );
    await emit('record.pinged', `record.${tag}`);
    await eventually(async () => ((await firingsOf(reactive.id)) >= 4 ? true : undefined), 60_000, 'a fourth firing');
    expect((await tw.api('PATCH', `/api/automations/${reactive.id}`, { enabled: false })).status).toBe(200);
    await closed(reactiveId);
    await save('automation-reactive-rollover', reactiveId);

    // Proactive: a timer rings with no event and fires; a renamed definition reaches it by signal; deleting stops it.
    const proactiveDefinition = {
      name: `record-proactive-${tag}`,
      trigger: {
        type: 'event',
        posture: 'Proactive',
        match: { 'prefect.resource.id': `quiet.${tag}` },
        after: ['job.started'],
        expect: ['job.finished'],
        for_each: ['prefect.resource.id'],
        within: 10,
      },
      actions: [{ type: 'do-nothing' }],
    };
    const proactive = await (await tw.api('POST', '/api/automations', proactiveDefinition)).json();
    const proactiveId = automationWorkflowId(proactive.name, proactive.id);
    await emit('job.started', `quiet.${tag}`);
    await eventually(async () => ((await firingsOf(proactive.id)) >= 1 ? true : undefined), 60_000, 'the timer');
    const renamed = { ...proactiveDefinition, name: `record-proactive-renamed-${tag}` };
    expect((await tw.api('PUT', `/api/automations/${proactive.id}`, renamed)).status).toBe(200);
    await emit('job.started', `quiet.${tag}`);
    await emit('job.finished', `quiet.${tag}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await tw.api('DELETE', `/api/automations/${proactive.id}`)).status).toBe(204);
    await closed(proactiveId);
    await save('automation-proactive-timer', proactiveId);
  });
});
