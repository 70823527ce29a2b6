// The workflow of one flow run: waits out `schedule_after` on a durable, cancellable timer (the opt-out window), hands
// the flow to its work pool's task queue (a child workflow, or one activity for a function flow), and records every
// state change (with its `prefect.flow-run.*` event) through a local activity, in Prefect's terms:
//
//   Scheduled → Pending (handed to the pool) → [Late: nothing picked it up in time] → Running (its code started, as the
//   worker reports) → Completed | Failed | TimedOut | Crashed | Cancelled, with AwaitingRetry → Retrying in between for
//   each of the deployment's `retries`.
//
// A workflow type of its own (flowRunWorkflowV2) rather than a patch of the first (flow-run-legacy.ts), which runs
// started before it keep: a patch costs every run a marker and a search-attribute upsert in Temporal.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/workflow';
import {
  FLOW_FAILED,
  FLOW_NOT_SERVED,
  FLOW_TIMED_OUT,
  type FlowRunActivities,
  type FlowRunStateChange,
  type FunctionFlowActivities,
  RUN_FUNCTION_FLOW,
  runningState,
  type RunFunctionFlowResult,
} from './activity-contracts';
import { flowWorkflowId } from './ids';
import { FLOW_REPORTS_START_MEMO, flowStartedSignal, type FlowRunWorkflowInput } from './messages';

/** Prefect's default: a run nothing has picked up 15 s after its scheduled start is Late. */
const DEFAULT_LATE_AFTER_SECONDS = 15;
const DEFAULT_RESULT_MAX_BYTES = 512 * 1024;
/** Longest a function flow's worker may go without a heartbeat before Temporal runs the attempt elsewhere. */
const FUNCTION_HEARTBEAT_TIMEOUT = '30 seconds';
/** What a function flow may overrun its timeout by before Temporal gives up on the worker (it enforces the timeout). */
const FUNCTION_TIMEOUT_GRACE_SECONDS = 300;

// State records run in the workflow's own worker, next to the database: no round trip through Temporal's queues.
const { recordFlowRunStates } = proxyLocalActivities<FlowRunActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Runs one flow run from Scheduled to a terminal state. */
export async function flowRunWorkflowV2(input: FlowRunWorkflowInput): Promise<void> {
  return runFlow(input);
}

/** How one attempt ended. */
type Outcome =
  | { status: 'completed'; result: unknown; omittedResultBytes?: number }
  | { status: 'recorded' }
  | { status: 'cancelled' }
  | { status: 'failed'; state: FlowRunStateChange; retryable: boolean; ran: boolean };

const cancelled = (message: string): FlowRunStateChange => ({ type: 'CANCELLED', name: 'Cancelled', message });

async function runFlow(input: FlowRunWorkflowInput): Promise<void> {
  const { flowRunId } = input;
  const retries = input.retries ?? 0;
  let startedAttempt = 0;
  setHandler(flowStartedSignal, ({ attempt }) => {
    startedAttempt = Math.max(startedAttempt, attempt);
  });
  const record = (...states: FlowRunStateChange[]) =>
    CancellationScope.nonCancellable(() => recordFlowRunStates({ flowRunId, states }));

  if (!(await waitOut(Date.parse(input.scheduledStart) - Date.now()))) {
    await record(cancelled('cancelled before its scheduled start'));
    return;
  }
  if (!input.pendingRecorded) await record({ type: 'PENDING', name: 'Pending' });

  let late = false;
  for (let attempt = 1; ; attempt += 1) {
    let settled = false;
    const execution = runAttempt(input, attempt).finally(() => {
      settled = true;
    });
    const startedOrSettled = () => startedAttempt >= attempt || settled;
    const running = runningState(attempt);
    let reported = false;
    try {
      if (!late && attempt === 1) {
        const lateAfterMs = (input.lateAfterSeconds ?? DEFAULT_LATE_AFTER_SECONDS) * 1000;
        if (!(await condition(startedOrSettled, lateAfterMs))) {
          late = true;
          await record({
            type: 'SCHEDULED',
            name: 'Late',
            message: `no worker of work pool ${input.workPool} took it`,
          });
        }
      }
      await condition(startedOrSettled);
      if (startedAttempt >= attempt && !settled) {
        await record(running);
        reported = true;
      }
    } catch (error) {
      if (!isCancellation(error)) throw error;
      // Cancelled while waiting for the flow to start: the attempt is being cancelled too, and says how it ended.
    }

    const outcome = await execution;
    if (outcome.status === 'recorded') return; // its worker recorded it Completed
    // A flow that ended before its start was recorded (or whose worker does not report starts) still ran.
    const codeRan = outcome.status === 'completed' || (outcome.status === 'failed' && outcome.ran);
    const ran = !reported && (startedAttempt >= attempt || codeRan) ? [running] : [];
    if (outcome.status === 'completed') {
      const { result, omittedResultBytes } = outcome;
      await record(...ran, {
        type: 'COMPLETED',
        name: 'Completed',
        ...(omittedResultBytes === undefined ? { result } : { omittedResultBytes }),
      });
      return;
    }
    if (outcome.status === 'cancelled') {
      // The records say whether it had started: a worker in tripwire's process reports that to them directly.
      await record({ type: 'CANCELLED', name: 'Cancelled' });
      return;
    }
    if (!outcome.retryable || attempt > retries) {
      await record(...ran, outcome.state);
      return;
    }
    const delayMs = (input.retryDelaySeconds ?? 0) * 1000;
    await record(...ran, {
      type: 'SCHEDULED',
      name: 'AwaitingRetry',
      message: outcome.state.message,
      key: `${attempt}`,
    });
    if (!(await waitOut(delayMs))) {
      await record(cancelled('cancelled while awaiting a retry'));
      return;
    }
  }
}

/** Sleeps `ms` (nothing when not positive); false when the workflow was cancelled meanwhile. */
async function waitOut(ms: number): Promise<boolean> {
  try {
    if (ms > 0) await sleep(ms);
    return !CancellationScope.current().consideredCancelled;
  } catch (error) {
    if (isCancellation(error)) return false;
    throw error;
  }
}

/** Runs one attempt of the flow on its pool and says how it ended; never throws. */
async function runAttempt(input: FlowRunWorkflowInput, attempt: number): Promise<Outcome> {
  try {
    if (input.kind !== 'function') return { status: 'completed', result: await runChild(input, attempt) };
    const ended = await runFunction(input, attempt);
    if ('recorded' in ended) return { status: 'recorded' };
    return 'result' in ended
      ? { status: 'completed', result: ended.result }
      : { status: 'completed', result: null, omittedResultBytes: ended.omittedResultBytes };
  } catch (error) {
    if (isCancellation(error) || CancellationScope.current().consideredCancelled) return { status: 'cancelled' };
    return { status: 'failed', ...classify(error, input) };
  }
}

function runChild(input: FlowRunWorkflowInput, attempt: number): Promise<unknown> {
  return executeChild(input.flowName, {
    taskQueue: input.workPool,
    workflowId: flowWorkflowId(input.flowRunId, attempt),
    args: [input.parameters],
    // Tells the flow-started interceptor of the flow's worker to report the start (flows of the first flow-run
    // workflow have no such memo, so their histories replay without the signal).
    memo: { [FLOW_REPORTS_START_MEMO]: true },
    // Should the run's workflow be terminated, its flow is asked to stop rather than killed outright.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    ...(input.timeoutSeconds ? { workflowExecutionTimeout: input.timeoutSeconds * 1000 } : {}),
  });
}

function runFunction(input: FlowRunWorkflowInput, attempt: number): Promise<RunFunctionFlowResult> {
  const timeoutSeconds = input.timeoutSeconds;
  const activities = proxyActivities<FunctionFlowActivities>({
    taskQueue: input.workPool,
    // The worker enforces the flow's timeout itself (its AbortSignal fires); Temporal's is a safety net for a worker
    // that went quiet, and a dead worker is noticed by its missing heartbeats and the attempt run again elsewhere.
    startToCloseTimeout: timeoutSeconds ? (timeoutSeconds + FUNCTION_TIMEOUT_GRACE_SECONDS) * 1000 : '365 days',
    heartbeatTimeout: FUNCTION_HEARTBEAT_TIMEOUT,
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: [FLOW_FAILED, FLOW_TIMED_OUT, FLOW_NOT_SERVED],
    },
    // Cancelling the run waits until the function has stopped, so Cancelled means its code is no longer running.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return activities[RUN_FUNCTION_FLOW]({
    flowRunId: input.flowRunId,
    entrypoint: input.entrypoint ?? input.flowName,
    parameters: input.parameters,
    attempt,
    ...(timeoutSeconds ? { timeoutSeconds } : {}),
    resultMaxBytes: input.resultMaxBytes ?? DEFAULT_RESULT_MAX_BYTES,
  });
}

/**
 * The state a failed attempt ends in, whether the deployment's retries apply to it, and whether the flow's code ran
 * (so the run was Running, even if its worker's report came after the end or never).
 */
function classify(
  error: unknown,
  input: FlowRunWorkflowInput,
): { state: FlowRunStateChange; retryable: boolean; ran: boolean } {
  const cause = error instanceof ChildWorkflowFailure || error instanceof ActivityFailure ? error.cause : error;
  const message = (cause instanceof Error && cause.message) || 'the flow failed';
  if (cause instanceof ApplicationFailure && cause.type === FLOW_NOT_SERVED)
    return { state: { type: 'CRASHED', name: 'Crashed', message }, retryable: false, ran: false };
  if ((cause instanceof ApplicationFailure && cause.type === FLOW_TIMED_OUT) || isFlowTimeout(cause, input))
    return { state: { type: 'FAILED', name: 'TimedOut', message: timedOutMessage(input) }, retryable: true, ran: true };
  if (cause instanceof TerminatedFailure || cause instanceof TimeoutFailure)
    return { state: { type: 'CRASHED', name: 'Crashed', message }, retryable: false, ran: false };
  return { state: { type: 'FAILED', name: 'Failed', message }, retryable: true, ran: true };
}

function isFlowTimeout(cause: unknown, input: FlowRunWorkflowInput): boolean {
  return cause instanceof TimeoutFailure && input.kind !== 'function' && input.timeoutSeconds !== undefined;
}

function timedOutMessage(input: FlowRunWorkflowInput): string {
  return `the flow ran longer than its timeout_seconds (${input.timeoutSeconds ?? '?'})`;
}
