// Every signal and query of tripwire's workflows, defined once and imported by the API, the router and the tests.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ReceivedEvent } from '../core/events/schema';
import type { Firing, Trigger } from '../core/triggers/schema';

/** The parts of an automation its workflow needs; JSON only, as everything that crosses Temporal. */
export interface AutomationSnapshot {
  id: string;
  name: string;
  enabled: boolean;
  trigger: Trigger;
  actions: unknown[];
  actions_on_trigger: unknown[];
  actions_on_resolve: unknown[];
  updated: string;
}

export interface AutomationWorkflowInput {
  automation: AutomationSnapshot;
  /** Carried over continue-as-new. */
  state?: unknown;
  pending?: ReceivedEvent[];
  /** Carried over continue-as-new: leaders signalled with events still pending. */
  leaders?: string[];
  /** A definition signalled but not yet applied when the previous run continued as new. */
  incoming?: AutomationSnapshot;
}

export interface EventsSignalInput {
  events: ReceivedEvent[];
  /**
   * Ids of events that some of `events` follow, which tripwire has received but this automation is not given (they
   * match none of its triggers): the followers need not wait for them.
   */
  leaders?: string[];
}

export interface DefinitionSignalInput {
  automation: AutomationSnapshot;
}

export interface StopSignalInput {
  reason: 'deleted' | 'disabled';
}

/** What GET /api/automations/:id/state shows: the definition's version and what the trigger waits for. */
export interface AutomationStateView {
  automation_id: string;
  name: string;
  updated: string;
  trigger_type: string;
  pending_events: number;
  actions_in_flight: number;
  firings: number;
  last_firing: Pick<Firing, 'id' | 'triggered' | 'trigger_states'> | null;
  state: unknown;
}

export const eventsSignal = defineSignal<[EventsSignalInput]>('events');
export const definitionSignal = defineSignal<[DefinitionSignalInput]>('definition');
export const stopSignal = defineSignal<[StopSignalInput]>('stop');
/** Asks the workflow to continue as new; the router sends it, then holds the automation's events until it has. */
export const rolloverSignal = defineSignal('rollover');
export const stateQuery = defineQuery<AutomationStateView>('state');

/** What runs a flow: a workflow (bundled by tripwire's pool worker or registered by an external one) or a function. */
export type FlowKind = 'workflow' | 'function';

export interface FlowRunWorkflowInput {
  flowRunId: string;
  /** The workflow type of the flow: the exported function named by the deployment's entrypoint. */
  flowName: string;
  /** The task queue the flow's worker polls. */
  workPool: string;
  parameters: Record<string, unknown>;
  /** ISO time before which the flow must not start (now + schedule_after). */
  scheduledStart: string;
  // The fields below were added with the second version of the flow-run workflow; runs started before it lack them.
  /** Default `workflow`: a child workflow of type `flowName` on `workPool`; `function` runs one activity there. */
  kind?: FlowKind;
  /** A function flow's `file:export` (absolute), which the pool worker must serve. */
  entrypoint?: string;
  /** Prefect's flow retries: failed attempts tried again, `retryDelaySeconds` apart. */
  retries?: number;
  retryDelaySeconds?: number;
  /** Longest one attempt may take. */
  timeoutSeconds?: number;
  /** How long after its scheduled start a run nothing has picked up turns Late. */
  lateAfterSeconds?: number;
  /** The run was due at once and its starter recorded Pending when the workflow started (one write fewer here). */
  pendingRecorded?: boolean;
  /** Largest JSON result stored; a function flow's larger result is replaced by a note before it leaves the worker. */
  resultMaxBytes?: number;
}

/** Sent to a run's workflow by the worker that starts its flow's code: the run is Running (or Retrying) now. */
export interface FlowStartedSignalInput {
  /** Which attempt started (1 for the first; Prefect's retries add more). */
  attempt: number;
}

export const flowStartedSignal = defineSignal<[FlowStartedSignalInput]>('flowStarted');

/** The memo key by which a run's workflow asks its child flow's interceptor to send flowStartedSignal. */
export const FLOW_REPORTS_START_MEMO = 'tripwire_reports_start';
