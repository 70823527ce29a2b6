// Function flows (entrypoint_type: function) end to end on a real Temporal server: plain async functions run by the
// pool worker as one activity of the run, with Prefect's retries, a timeout, cancellation through an AbortSignal, the
// result stored (or left out above its bound) and a thrown error's message kept; wrong choices refused at deploy time.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PoolWorker } from '../../../worker/pool-worker';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'flows');
const FUNCTIONS = path.join(FIXTURES, 'function-flows.ts');

interface FlowRun {
  id: string;
  state: { type: string; name: string; message: string | null };
  state_history: { type: string; name: string; message: string | null; timestamp: string }[];
  start_time: string | null;
  result?: unknown;
  error?: string;
}

describe('function flows', () => {
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-function-flows-'));

  beforeAll(async () => {
    tw = await startTestTripwire({ env: { TRIPWIRE_FLOW_RESULT_MAX_BYTES: '1000' } });
    // As `tripwire worker --pool` does, outside tripwire's process: starts reach the run's workflow by signal.
    ({ pool, name: poolName } = await startTestPool(tw, undefined, undefined, { signalStarts: true }));
  });
  afterAll(async () => {
    await pool.stop();
    await tw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const deploy = async (name: string, fn: string, extra: Record<string, unknown> = {}) =>
    tw.api('POST', '/api/deployments', {
      name,
      entrypoint: `${FUNCTIONS}:${fn}`,
      entrypoint_type: 'function',
      work_pool: { name: poolName },
      ...extra,
    });
  const deployed = async (name: string, fn: string, extra: Record<string, unknown> = {}) => {
    const response = await deploy(name, fn, extra);
    expect(response.status).toBeLessThan(300);
    await eventually(
      async () => (pool.flows.includes(`${FUNCTIONS}:${fn}`) ? true : undefined),
      60_000,
      `the pool to serve ${fn}`,
    );
  };
  const run = async (deployment: string, parameters: Record<string, unknown> = {}): Promise<FlowRun> => {
    const response = await tw.api('POST', `/api/deployments/${deployment}/runs`, { parameters });
    expect(response.status).toBe(201);
    return response.json();
  };
  const getRun = async (id: string): Promise<FlowRun> => (await tw.api('GET', `/api/flow-runs/${id}`)).json();
  const waitForState = (id: string, name: string, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const current = await getRun(id);
        return current.state.name === name ? current : undefined;
      },
      timeoutMs,
      `flow run ${id} to be ${name}`,
    );
  const file = (name: string) => path.join(dir, `${name}-${crypto.randomBytes(3).toString('hex')}`);

  it('runs a plain function with its parameters in their JSON types and stores what it returns', async () => {
    await deployed('echo-function', 'echoFunction', { parameters: { n: 1 } });
    const parameters = { s: 'text', b: true, list: [1, 'two'], nested: { x: null }, f: 1.5 };
    const done = await waitForState((await run('echo-function', parameters)).id, 'Completed');
    expect(done.result).toEqual({
      received: { n: 1, ...parameters },
      types: { n: 'number', s: 'string', b: 'boolean', list: 'array', nested: 'object', f: 'number' },
    });
    expect(done.state_history.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Running', 'Completed']);
    expect(done.start_time).toBe(done.state_history[2]!.timestamp);
  });

  it('runs a function flow started the moment it is deployed, before the pool worker has reloaded', async () => {
    // A workflow flow on the pool too, so the reload bundles (seconds) while the run's activity reaches the old worker.
    const workflow = await tw.api('POST', '/api/deployments', {
      name: 'a-workflow-too',
      entrypoint: `${path.join(FIXTURES, 'test-flows.ts')}:echoFlow`,
      work_pool: { name: poolName },
    });
    expect(workflow.status).toBe(201);
    expect((await deploy('fresh-function', 'bigResult')).status).toBe(201);
    const done = await waitForState((await run('fresh-function', { bytes: 3 })).id, 'Completed');
    expect(done.result).toBe('xxx');
    expect(done.state_history.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Running', 'Completed']);
  });

  it('retries a failing function as the deployment says: one run, the retries in its state history', async () => {
    await deployed('flaky-function', 'flakyFunction', { retries: 2, retry_delay_seconds: 1 });
    const counter = file('counter');
    const started = Date.now();
    const done = await waitForState((await run('flaky-function', { counter, failures: 2 })).id, 'Completed');
    expect(done.result).toEqual({ calls: 3, attempt: 3 });
    expect(done.state_history.map((s) => `${s.type}/${s.name}`)).toEqual([
      'SCHEDULED/Scheduled',
      'PENDING/Pending',
      'RUNNING/Running',
      'SCHEDULED/AwaitingRetry',
      'RUNNING/Retrying',
      'SCHEDULED/AwaitingRetry',
      'RUNNING/Retrying',
      'COMPLETED/Completed',
    ]);
    expect(done.state_history[3]!.message).toBe('call 1 fails on purpose');
    expect(done.state_history[5]!.message).toBe('call 2 fails on purpose');
    // retry_delay_seconds between attempts.
    const waited = Date.parse(done.state_history[4]!.timestamp) - Date.parse(done.state_history[3]!.timestamp);
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const runs = (await (await tw.api('GET', '/api/flow-runs?deployment=flaky-function')).json()) as FlowRun[];
    expect(runs).toHaveLength(1);
  });

  it('fails with the thrown error as the message once retries are spent', async () => {
    await deployed('failing-function', 'failingFunction', { retries: 1 });
    const failed = await waitForState((await run('failing-function')).id, 'Failed');
    expect(failed.state.message).toBe('the database said no');
    expect(failed.error).toBe('the database said no');
    expect(failed.state_history.map((s) => s.name)).toEqual([
      'Scheduled',
      'Pending',
      'Running',
      'AwaitingRetry',
      'Retrying',
      'Failed',
    ]);
  });

  it('stops a cancelled function through its AbortSignal within seconds, and the run ends Cancelled', async () => {
    await deployed('waiting-function', 'waitForAbort');
    const started = file('started');
    const marker = file('marker');
    const { id } = await run('waiting-function', { started, marker });
    await waitForState(id, 'Running');
    await eventually(async () => (fs.existsSync(started) ? true : undefined), 30_000, 'the function to start');
    const cancelledAt = Date.now();
    const response = await tw.api('POST', `/api/flow-runs/${id}/cancel`);
    expect(response.status).toBe(200);
    const cancelled = await waitForState(id, 'Cancelled', 30_000);
    expect(fs.readFileSync(marker, 'utf8')).toBe('aborted: the flow run was cancelled');
    expect(fs.statSync(marker).mtimeMs - cancelledAt).toBeLessThan(5000);
    expect(cancelled.state.message).toBe('cancelled while running');
  });

  it('times out a function at timeout_seconds (its AbortSignal fires) as TimedOut', async () => {
    await deployed('slow-function', 'waitForAbort', { timeout_seconds: 1 });
    const marker = file('marker');
    const timedOut = await waitForState((await run('slow-function', { started: file('s'), marker })).id, 'TimedOut');
    expect(timedOut.state.type).toBe('FAILED');
    expect(timedOut.state.message).toMatch(/timeout_seconds \(1\)/);
    expect(fs.readFileSync(marker, 'utf8')).toBe('aborted: the flow run was timed out');
  });

  it('leaves out a result larger than TRIPWIRE_FLOW_RESULT_MAX_BYTES and says so', async () => {
    await deployed('big-result', 'bigResult');
    const small = await waitForState((await run('big-result', { bytes: 10 })).id, 'Completed');
    expect(small.result).toBe('x'.repeat(10));
    const big = await waitForState((await run('big-result', { bytes: 5000 })).id, 'Completed');
    expect(big.result).toBeNull();
    expect(big.state.message).toBe(
      'the result (5002 bytes of JSON) is larger than the 1000-byte limit (TRIPWIRE_FLOW_RESULT_MAX_BYTES) and was not stored',
    );
  });

  it('refuses at deploy time an entrypoint that does not fit its entrypoint_type', async () => {
    const missing = await deploy('no-such-function', 'noSuchFunction');
    expect(missing.status).toBe(422);
    expect((await missing.json()).error.details).toEqual([
      {
        path: 'entrypoint',
        message: expect.stringMatching(
          /does not export a function named noSuchFunction \(its exported functions: .*echoFunction/,
        ),
      },
    ]);

    const workflowAsFunction = await tw.api('POST', '/api/deployments', {
      name: 'workflow-as-function',
      entrypoint: `${path.join(FIXTURES, 'test-flows.ts')}:echoFlow`,
      entrypoint_type: 'function',
      work_pool: { name: poolName },
    });
    expect(workflowAsFunction.status).toBe(422);
    expect((await workflowAsFunction.json()).error.details[0]).toEqual({
      path: 'entrypoint_type',
      message: expect.stringMatching(/imports @temporalio\/workflow.*entrypoint_type: workflow/),
    });

    const functionAsWorkflow = await tw.api('POST', '/api/deployments', {
      name: 'function-as-workflow',
      entrypoint: `${path.join(FIXTURES, 'not-a-workflow.ts')}:readsAFile`,
      work_pool: { name: poolName },
    });
    expect(functionAsWorkflow.status).toBe(422);
    const { details } = (await functionAsWorkflow.json()).error;
    expect(details[0].path).toBe('entrypoint');
    expect(details[0].message).toMatch(/cannot run in the Temporal workflow sandbox/);
    expect(details[0].message).toMatch(/fs/);
    expect(details[0].message).toMatch(/entrypoint_type: function/);

    const bad = await tw.api('POST', '/api/deployments', {
      name: 'bad-type',
      entrypoint: `${FUNCTIONS}:echoFunction`,
      entrypoint_type: 'script',
    });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.details[0]).toEqual({
      path: 'entrypoint_type',
      message: 'entrypoint_type must be one of: workflow, function',
    });
    for (const name of ['no-such-function', 'workflow-as-function', 'function-as-workflow', 'bad-type'])
      expect((await tw.api('GET', `/api/deployments/${name}`)).status).toBe(404);
  });
});
