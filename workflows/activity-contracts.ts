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

/** The activities of the flow-run workflow (activities/flow-runs.ts). */
export interface FlowRunActivities {
  /** Moves the run to the given state; idempotent, so retries are harmless. */
  setFlowRunState(input: SetFlowRunStateInput): Promise<void>;
}
