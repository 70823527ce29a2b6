// Where an automation's time goes inside Temporal, read back from its workflow histories after a latency run: how
// many workflow tasks each signal cost, how long a task waited for the worker (server side) and how long the worker
// took to complete it, and how soon the firing's activity started. The timestamps are the server's own.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { fmt, percentile } from './harness';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface WorkflowTaskProfile {
  runs: number;
  signals: number;
  workflowTasks: number;
  /** Workflow tasks that failed or timed out (each one replays the history on retry). */
  failedTasks: number;
  /** Scheduled → started: the task waiting for a poller. */
  queued: number[];
  /** Started → completed: the worker's turn (gRPC, Core, the activation in the workflow thread). */
  processing: number[];
  /** Scheduled → started of the firings' activities (eager dispatch makes it the reply to the completion). */
  activityDispatch: number[];
}

const millis = (event: HistoryEvent): number =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

/** Reads every run of `workflowIds` and measures their workflow and activity tasks. */
export async function profileWorkflowTasks(client: Client, workflowIds: string[]): Promise<WorkflowTaskProfile> {
  const profile: WorkflowTaskProfile = {
    runs: 0,
    signals: 0,
    workflowTasks: 0,
    failedTasks: 0,
    queued: [],
    processing: [],
    activityDispatch: [],
  };
  for (const workflowId of workflowIds) {
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      profile.runs += 1;
      addRun(profile, history.events ?? []);
    }
  }
  return profile;
}

function addRun(profile: WorkflowTaskProfile, events: HistoryEvent[]): void {
  const at = new Map<number, number>(events.map((event) => [Number(event.eventId), millis(event)]));
  const since = (eventId: unknown, event: HistoryEvent, into: number[]) => {
    const earlier = at.get(Number(eventId));
    if (earlier !== undefined) into.push(millis(event) - earlier);
  };
  for (const event of events) {
    const type = event.eventType;
    if (type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) profile.signals += 1;
    else if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
      since(event.workflowTaskStartedEventAttributes?.scheduledEventId, event, profile.queued);
    else if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      profile.workflowTasks += 1;
      since(event.workflowTaskCompletedEventAttributes?.startedEventId, event, profile.processing);
    } else if (
      type === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED ||
      type === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
    )
      profile.failedTasks += 1;
    else if (type === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
      since(event.activityTaskStartedEventAttributes?.scheduledEventId, event, profile.activityDispatch);
  }
}

/** The profile as table rows. */
export function workflowTaskRows(profile: WorkflowTaskProfile): (string | number)[][] {
  const pct = (values: number[], p: number) => (values.length === 0 ? '-' : fmt(percentile(values, p), 1));
  const perSignal = profile.signals === 0 ? '-' : fmt(profile.workflowTasks / profile.signals, 2);
  return [
    ['in Temporal', 'count', 'p50 ms', 'p99 ms'],
    ['workflow runs (continue-as-new)', profile.runs, '', ''],
    ['signals', profile.signals, '', ''],
    [`workflow tasks (${perSignal} per signal)`, profile.workflowTasks, '', ''],
    ['failed or timed-out workflow tasks', profile.failedTasks, '', ''],
    ['task scheduled → started (queue)', profile.queued.length, pct(profile.queued, 50), pct(profile.queued, 99)],
    [
      'task started → completed (worker)',
      profile.processing.length,
      pct(profile.processing, 50),
      pct(profile.processing, 99),
    ],
    [
      'activity scheduled → started',
      profile.activityDispatch.length,
      pct(profile.activityDispatch, 50),
      pct(profile.activityDispatch, 99),
    ],
  ];
}
