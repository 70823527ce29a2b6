// What tripwire's workflows ask of their activities, declared on the sandbox side: the workflows proxy these
// interfaces and activities/ implements them, so no workflow imports (even as a type) the code that does the I/O.
import type { StateType } from '../core/deployments/flow-run-states';
import type { Firing } from '../core/triggers/schema';
import type { AutomationSnapshot } from './messages';

/**
 * The heartbeat timeout of every activity: tripwire's worker heartbeats while one runs (worker/heartbeats.ts), so a
 * worker that dies mid-activity hands the work to another within this time, not after the start-to-close timeout.
 */
export const HEARTBEAT_TIMEOUT = '10 seconds';

export interface RunActionInput {
  automation: AutomationSnapshot;
  firing: Firing;
  action: unknown;
  actionIndex: number;
  triggeredEventId: string;
}

export interface RunActionResult {
  invocation: string;
  status: 'executed' | 'failed';
  reason?: string;
}

/** One firing and the actions it runs, in order. */
export interface FiringWork {
  firing: Firing;
  actions: { action: unknown; actionIndex: number }[];
}

export interface RunFiringsInput {
  automation: AutomationSnapshot;
  batch: FiringWork[];
}

/**
 * What became of one firing: the id of its `prefect.automation.triggered` (or `.resolved`) event, the results of the
 * actions that ran, and (when one hit an unexpected error) the index in `actions` to go on from with single, retried
 * runAction calls.
 */
export interface FiringResult {
  triggeredEventId: string;
  results: RunActionResult[];
  retryFrom?: number;
}

/** The activities of the automation workflow (activities/automations.ts). */
export interface AutomationActivities {
  /** Records several firings in one write, then runs their actions (each firing's in order). */
  runFirings(input: RunFiringsInput): Promise<FiringResult[]>;
  /** Runs one action; an expected failure is recorded and returned, anything else is thrown for a retry. */
  runAction(input: RunActionInput): Promise<RunActionResult>;
}

export interface SetFlowRunStateInput {
  flowRunId: string;
  type: StateType;
  name: string;
  message?: string;
  result?: unknown;
}

/** One state a run enters. */
export interface FlowRunStateChange {
  type: StateType;
  name: string;
  message?: string;
  result?: unknown;
  /** Set instead of `result` when the flow's result was too large to send: its size in bytes of JSON. */
  omittedResultBytes?: number;
  /** Tells apart states of the same name in one run (AwaitingRetry after each failed attempt); part of its id. */
  key?: string;
}

/** The state a run enters when attempt `attempt` of its flow starts: Running, then Retrying for each retry. */
export function runningState(attempt: number): FlowRunStateChange {
  return attempt <= 1 ? { type: 'RUNNING', name: 'Running' } : { type: 'RUNNING', name: 'Retrying', key: `${attempt}` };
}

export interface RecordFlowRunStatesInput {
  flowRunId: string;
  /** Entered in order, in one write. */
  states: FlowRunStateChange[];
}

/** The activities of the flow-run workflow (activities/flow-runs.ts). */
export interface FlowRunActivities {
  /** Moves the run to the given state; idempotent, so retries are harmless. (Runs started before states were batched.) */
  setFlowRunState(input: SetFlowRunStateInput): Promise<void>;
  /** Moves the run through `states`, in one write; idempotent, so retries are harmless. Run as a local activity. */
  recordFlowRunStates(input: RecordFlowRunStatesInput): Promise<void>;
}

/** The activity a pool worker registers to run function flows, named so no activity of a user's module clashes. */
export const RUN_FUNCTION_FLOW = 'tripwire.runFunctionFlow';

/** Error types of a function flow's attempt: none is retried by Temporal; the flow-run workflow applies `retries`. */
export const FLOW_FAILED = 'FlowFailed';
export const FLOW_TIMED_OUT = 'FlowTimedOut';
/** The pool worker does not serve the entrypoint (the deployment was removed or moved to another pool). */
export const FLOW_NOT_SERVED = 'FlowNotServed';
/** The pool worker does not know the entrypoint (yet): Temporal retries, perhaps on a worker that reloaded. */
export const FLOW_NOT_SERVED_YET = 'FlowNotServedYet';

export interface RunFunctionFlowInput {
  flowRunId: string;
  /** Absolute `file:export` of the function. */
  entrypoint: string;
  parameters: Record<string, unknown>;
  /** Which attempt this is (1 for the first), reported back with the started signal. */
  attempt: number;
  timeoutSeconds?: number;
  resultMaxBytes: number;
}

/**
 * A function flow's return value, or (when its JSON is larger than `resultMaxBytes`) only how large it was; or, from a
 * pool worker in tripwire's own process, word that it recorded the run Completed itself (the workflow only ends).
 */
export type RunFunctionFlowResult = { result: unknown } | { omittedResultBytes: number } | { recorded: true };

/** What a pool worker offers the flow-run workflow (worker/function-flows.ts). */
export interface FunctionFlowActivities {
  [RUN_FUNCTION_FLOW](input: RunFunctionFlowInput): Promise<RunFunctionFlowResult>;
}
