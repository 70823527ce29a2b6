// The state types of a flow run, as Prefect names them (§8). Shared by the records, the flow-run workflow and its
// activity, so a state the workflow reports is one the records know.

export type StateType =
  'SCHEDULED' | 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'CANCELLING' | 'CRASHED';

/** States a run never leaves. */
export const TERMINAL_STATES: ReadonlySet<StateType> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED']);
