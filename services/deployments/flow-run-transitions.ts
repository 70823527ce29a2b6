// What a flow run becomes when its workflow reports states: pure, so the rules are tested without a database. A run
// never leaves a terminal state (a late Running never overwrites Cancelled), a state already entered is not entered
// again (a retried report changes nothing), and each state's id derives from the run, its name and its key, so the
// `prefect.flow-run.*` event of a retried report is the same event.
import { derivedId } from '../../core/ids';
import type { FlowRunRecord, FlowRunState } from '../../db/flow-runs';
import { TERMINAL_STATES } from '../../db/flow-runs';
import type { FlowRunStateChange } from '../../workflows/activity-contracts';

/** The states a report made the run enter, each with the one before it. */
export interface EnteredState {
  state: FlowRunState;
  previous: FlowRunState;
}

/** The id of a run's state: the same however often the report is retried. */
export function stateId(flowRunId: string, name: string, key?: string): string {
  return key === undefined ? derivedId(flowRunId, 'state', name) : derivedId(flowRunId, 'state', name, key);
}

/** Says why a result is not stored: it is larger than `maxBytes` of JSON. */
export function omittedResultMessage(bytes: number, maxBytes: number): string {
  return (
    `the result (${bytes} bytes of JSON) is larger than the ${maxBytes}-byte limit ` +
    '(TRIPWIRE_FLOW_RESULT_MAX_BYTES) and was not stored'
  );
}

/**
 * Returns `run` after entering `changes` in order at `now`, and the states it entered. Timestamps only move forward
 * within a run (a state entered in the same millisecond as the one before it is stamped a millisecond later), so the
 * event feed shows them in order.
 */
export function enterStates(
  run: FlowRunRecord,
  changes: readonly FlowRunStateChange[],
  now: Date,
  resultMaxBytes: number,
): { next: FlowRunRecord; entered: EnteredState[] } {
  let next = run;
  const entered: EnteredState[] = [];
  for (const change of changes) {
    const current = next.state;
    if (TERMINAL_STATES.has(current.type)) break;
    const id = stateId(run.id, change.name, change.key);
    if (next.state_history.some((state) => state.id === id)) continue;
    // Reports may arrive out of order (the starter's Pending, the worker's Running): a run never goes back.
    if (change.type === 'PENDING' && current.name !== 'Scheduled') continue;
    if (change.name === 'Late' && current.type !== 'SCHEDULED' && current.type !== 'PENDING') continue;
    const at = new Date(Math.max(now.getTime(), Date.parse(current.timestamp) + 1)).toISOString();
    let message = change.message ?? null;
    if (change.type === 'CANCELLED' && change.message === undefined) {
      const ran = next.state_history.some((state) => state.type === 'RUNNING');
      message = ran ? 'cancelled while running' : 'cancelled before it started';
    }
    let result: unknown = next.result;
    if (change.type === 'COMPLETED') {
      const json = change.result === undefined ? 'null' : JSON.stringify(change.result);
      const bytes = change.omittedResultBytes ?? Buffer.byteLength(json);
      if (change.omittedResultBytes !== undefined || bytes > resultMaxBytes) {
        result = null;
        message = omittedResultMessage(bytes, resultMaxBytes);
      } else {
        result = change.result ?? null;
      }
    }
    const state: FlowRunState = { id, type: change.type, name: change.name, timestamp: at, message };
    next = {
      ...next,
      state,
      state_history: [...next.state_history, state],
      updated: at,
      result,
      start_time: change.type === 'RUNNING' && next.start_time === null ? at : next.start_time,
      end_time: TERMINAL_STATES.has(change.type) ? at : next.end_time,
      error: change.type === 'FAILED' || change.type === 'CRASHED' ? (change.message ?? change.name) : next.error,
    };
    entered.push({ state, previous: current });
  }
  return { next, entered };
}
