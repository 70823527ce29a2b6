// The rules of a flow run's state changes, without a database.
import type { FlowRunRecord } from '../../../db/flow-runs';
import { enterStates, stateId } from '../../../services/deployments/flow-run-transitions';

const at = '2026-01-01T00:00:00.000Z';
const scheduled = {
  id: stateId('run-1', 'Scheduled'),
  type: 'SCHEDULED' as const,
  name: 'Scheduled',
  timestamp: at,
  message: null,
};
const run: FlowRunRecord = {
  id: 'run-1',
  name: 'd-run-1',
  deployment_id: 'd',
  flow_name: 'f',
  work_pool: 'p',
  parameters: {},
  state: scheduled,
  state_history: [scheduled],
  expected_start_time: at,
  start_time: null,
  end_time: null,
  result: null,
  error: null,
  idempotency_key: null,
  created_by: null,
  triggered_by: null,
  tags: [],
  workflow_id: 'run/d/run-1',
  created: at,
  updated: at,
};
const now = new Date(at);

describe('enterStates', () => {
  it('enters states in order, stamping each later than the one before, and sets start and end', () => {
    const { next, entered } = enterStates(
      run,
      [
        { type: 'PENDING', name: 'Pending' },
        { type: 'RUNNING', name: 'Running' },
        { type: 'COMPLETED', name: 'Completed', result: { ok: true } },
      ],
      now,
      1000,
    );
    expect(next.state_history.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Running', 'Completed']);
    const times = next.state_history.map((s) => Date.parse(s.timestamp));
    for (let i = 1; i < times.length; i += 1) expect(times[i]).toBeGreaterThan(times[i - 1]!);
    expect(entered.map((e) => e.previous.name)).toEqual(['Scheduled', 'Pending', 'Running']);
    expect(next.start_time).toBe(next.state_history[2]!.timestamp);
    expect(next.end_time).toBe(next.state.timestamp);
    expect(next.result).toEqual({ ok: true });
  });

  it('changes nothing for a report it already recorded, and nothing after a terminal state', () => {
    const once = enterStates(run, [{ type: 'CANCELLED', name: 'Cancelled' }], now, 1000).next;
    expect(enterStates(once, [{ type: 'CANCELLED', name: 'Cancelled' }], now, 1000).entered).toEqual([]);
    expect(enterStates(once, [{ type: 'RUNNING', name: 'Running' }], now, 1000).entered).toEqual([]);
  });

  it('tells repeated states apart by their key, and keeps the first start time', () => {
    const retried = enterStates(
      run,
      [
        { type: 'RUNNING', name: 'Running' },
        { type: 'SCHEDULED', name: 'AwaitingRetry', message: 'boom', key: '1' },
        { type: 'RUNNING', name: 'Retrying', key: '2' },
        { type: 'SCHEDULED', name: 'AwaitingRetry', message: 'boom again', key: '2' },
      ],
      now,
      1000,
    ).next;
    expect(retried.state_history.map((s) => s.name)).toEqual([
      'Scheduled',
      'Running',
      'AwaitingRetry',
      'Retrying',
      'AwaitingRetry',
    ]);
    expect(new Set(retried.state_history.map((s) => s.id)).size).toBe(5);
    expect(retried.start_time).toBe(retried.state_history[1]!.timestamp);
  });

  it('keeps the message of a failure as the error, and leaves out a result over the bound', () => {
    expect(enterStates(run, [{ type: 'FAILED', name: 'Failed', message: 'no' }], now, 1000).next.error).toBe('no');
    const big = enterStates(run, [{ type: 'COMPLETED', name: 'Completed', result: 'x'.repeat(2000) }], now, 1000).next;
    expect(big.result).toBeNull();
    expect(big.state.message).toMatch(/\(2002 bytes of JSON\) is larger than the 1000-byte limit/);
    const omitted = enterStates(
      run,
      [{ type: 'COMPLETED', name: 'Completed', omittedResultBytes: 5000 }],
      now,
      1000,
    ).next;
    expect(omitted.state.message).toMatch(/5000 bytes/);
  });
});
