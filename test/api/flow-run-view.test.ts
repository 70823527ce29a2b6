// The flow run JSON: Prefect's derived fields (state_type, run_count, total_run_time) from the state history, and the
// Temporal UI link only when there is a UI to link to.
import { flowRunView, temporalUiLink } from '../../api/flow-run-view';
import type { FlowRunRecord, FlowRunState } from '../../db/flow-runs';

const state = (type: FlowRunState['type'], name: string, timestamp: string): FlowRunState => ({
  id: `${name}-${timestamp}`,
  type,
  name,
  timestamp,
  message: null,
});

const run = (history: FlowRunState[]): FlowRunRecord => ({
  id: '0190a0a0-0000-7000-8000-000000000001',
  name: 'etl-0190a0a0',
  deployment_id: null,
  flow_name: 'etl',
  work_pool: 'default',
  parameters: {},
  state: history.at(-1)!,
  state_history: history,
  expected_start_time: history[0]!.timestamp,
  start_time: null,
  end_time: null,
  result: 42,
  error: null,
  idempotency_key: null,
  created_by: null,
  triggered_by: null,
  tags: [],
  workflow_id: 'run/etl/0190a0a0-0000-7000-8000-000000000001',
  created: history[0]!.timestamp,
  updated: history.at(-1)!.timestamp,
});

describe('flowRunView', () => {
  it('sums the time of every ended Running state into total_run_time and counts them in run_count', () => {
    const view = flowRunView(
      run([
        state('SCHEDULED', 'Scheduled', '2026-01-01T00:00:00.000Z'),
        state('RUNNING', 'Running', '2026-01-01T00:00:01.000Z'),
        state('SCHEDULED', 'AwaitingRetry', '2026-01-01T00:00:03.500Z'),
        state('RUNNING', 'Running', '2026-01-01T00:00:10.000Z'),
        state('COMPLETED', 'Completed', '2026-01-01T00:00:11.250Z'),
      ]),
      { namespace: 'default' },
    );
    expect(view).toMatchObject({ run_count: 2, total_run_time: 3.75, state_type: 'COMPLETED', result: 42 });
  });

  it('does not count a Running state that has not ended yet, and shows no result before Completed', () => {
    const view = flowRunView(
      run([
        state('SCHEDULED', 'Scheduled', '2026-01-01T00:00:00.000Z'),
        state('RUNNING', 'Running', '2026-01-01T00:00:01.000Z'),
      ]),
      { namespace: 'default' },
    );
    expect(view).toMatchObject({ run_count: 1, total_run_time: 0, state_name: 'Running' });
    expect(view).not.toHaveProperty('result');
  });

  it('links the workflow in the Temporal UI only when a UI URL is configured', () => {
    const history = [state('SCHEDULED', 'Scheduled', '2026-01-01T00:00:00.000Z')];
    expect(flowRunView(run(history), { namespace: 'prod' }).temporal).toEqual({
      namespace: 'prod',
      workflow_id: 'run/etl/0190a0a0-0000-7000-8000-000000000001',
      ui_url: null,
    });
    expect(flowRunView(run(history), { namespace: 'prod', uiUrl: 'http://127.0.0.1:8233' }).temporal.ui_url).toBe(
      'http://127.0.0.1:8233/namespaces/prod/workflows/run%2Fetl%2F0190a0a0-0000-7000-8000-000000000001',
    );
  });

  it('builds the link under a UI served at a path, without doubling slashes', () => {
    expect(temporalUiLink('https://ops.example.com/temporal//', 'team a', 'flow/x')).toBe(
      'https://ops.example.com/temporal/namespaces/team%20a/workflows/flow%2Fx',
    );
  });
});
