// The first flow-run workflow type, kept verbatim so that runs started before flowRunWorkflowV2 (flow-run.ts) replay
// and finish as they began: it waits out `schedule_after`, runs the flow as a child workflow, and records each state
// through a regular activity, marking the run Running as soon as the child exists. New runs never start it.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  isCancellation,
  proxyActivities,
  sleep,
  startChild,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/workflow';
import { type FlowRunActivities, HEARTBEAT_TIMEOUT } from './activity-contracts';
import { flowWorkflowId } from './ids';
import type { FlowRunWorkflowInput } from './messages';

const { setFlowRunState } = proxyActivities<FlowRunActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT, // a worker killed mid-write is noticed in seconds, not after the minute
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Runs one flow run from Scheduled to a terminal state, as the first version did. */
export async function flowRunWorkflow(input: FlowRunWorkflowInput): Promise<void> {
  const { flowRunId } = input;
  const record = (
    type: Parameters<typeof setFlowRunState>[0]['type'],
    name: string,
    extra: { message?: string; result?: unknown } = {},
  ) => CancellationScope.nonCancellable(() => setFlowRunState({ flowRunId, type, name, ...extra }));

  try {
    const wait = Date.parse(input.scheduledStart) - Date.now();
    if (wait > 0) await sleep(wait);
  } catch (error) {
    if (isCancellation(error)) {
      await record('CANCELLED', 'Cancelled', { message: 'cancelled before its scheduled start' });
      return;
    }
    throw error;
  }

  await record('PENDING', 'Pending');
  try {
    const child = await startChild(input.flowName, {
      taskQueue: input.workPool,
      workflowId: flowWorkflowId(flowRunId),
      args: [input.parameters],
    });
    await record('RUNNING', 'Running');
    const result: unknown = await child.result();
    await record('COMPLETED', 'Completed', { result });
  } catch (error) {
    if (isCancellation(error)) {
      await record('CANCELLED', 'Cancelled', { message: 'cancelled while running' });
      return;
    }
    const cause = error instanceof ChildWorkflowFailure ? error.cause : error;
    if (cause instanceof TerminatedFailure || cause instanceof TimeoutFailure) {
      await record('CRASHED', 'Crashed', { message: cause.message });
      return;
    }
    const message = cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause);
    await record('FAILED', 'Failed', { message: message || 'the flow failed' });
  }
}
