// The activity that runs function flows (the Prefect way): an ordinary async function of the deployment's entrypoint,
// with full Node access, called with the run's parameters and a context whose AbortSignal fires when the run is
// cancelled (Temporal delivers the cancellation on a heartbeat) or runs past its timeout. It tells the run's workflow
// when the code starts (Running), heartbeats while it runs, and returns the result as JSON, or only its size when it
// is too large to keep. A thrown error fails the attempt with the error's message; the run's workflow applies the
// deployment's retries.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  FLOW_FAILED,
  FLOW_NOT_SERVED,
  FLOW_NOT_SERVED_YET,
  FLOW_TIMED_OUT,
  type RunFunctionFlowInput,
  type RunFunctionFlowResult,
} from '../workflows/activity-contracts';
import { flowStartedSignal } from '../workflows/messages';
import type { Logger } from '../services/logging/logger';

/** What a function flow receives besides its parameters. */
export interface FlowContext {
  /** Fires when the run is cancelled or runs past its `timeout_seconds`: stop, and let the function return or throw. */
  signal: AbortSignal;
  flowRunId: string;
  /** 1 for the first attempt; each of the deployment's `retries` adds one. */
  attempt: number;
  /** Progress details, kept by Temporal with the heartbeat tripwire sends every second anyway. */
  heartbeat(details?: unknown): void;
}

/** A function flow as a deployment names it. */
export type FunctionFlow = (parameters: Record<string, unknown>, context: FlowContext) => unknown;

/**
 * Finds the function an entrypoint names, or says why this worker cannot run it: `unknown` when it does not serve the
 * entrypoint at all (a deployment made a moment ago, before this worker reloaded: Temporal tries again, the next time
 * perhaps on the reloaded worker), otherwise the function cannot run here (the run ends Crashed, saying why).
 */
export type FunctionLookup = (entrypoint: string) => { flow: FunctionFlow } | { problem: string; unknown?: boolean };

const HEARTBEAT_EVERY_MS = 1000;
/** How long a function whose signal fired may take to stop before the attempt ends without it. */
const STOP_GRACE_MS = 5000;

/**
 * The flow-run records, for a pool worker in tripwire's own process: it writes a run's Running and Completed there
 * directly, sparing the run's workflow a signal and a record each. Elsewhere (`tripwire worker --pool`) the run's
 * workflow is told by signal and by the activity's result, and records them.
 */
export interface FlowRunReporter {
  started(flowRunId: string, attempt: number): Promise<void>;
  completed(
    flowRunId: string,
    attempt: number,
    ended: { result: unknown } | { omittedResultBytes: number },
  ): Promise<void>;
  /** True when the run has ended already (this attempt is Temporal's retry of one whose end was recorded). */
  ended(flowRunId: string): Promise<boolean>;
}

/** Returns the activity, looking functions up with `lookup`. */
export function createFunctionFlowActivity(lookup: FunctionLookup, logger: Logger, records?: FlowRunReporter) {
  return async function runFunctionFlow(input: RunFunctionFlowInput): Promise<RunFunctionFlowResult> {
    const context = Context.current();
    if (records && context.info.attempt > 1 && (await records.ended(input.flowRunId))) return { recorded: true };
    const found = lookup(input.entrypoint);
    if ('problem' in found) {
      if (found.unknown) throw ApplicationFailure.retryable(found.problem, FLOW_NOT_SERVED_YET);
      throw ApplicationFailure.nonRetryable(found.problem, FLOW_NOT_SERVED);
    }

    // Running is reported while the code already runs, and before the attempt ends, so it precedes the end.
    const runWorkflowId = context.info.workflowExecution?.workflowId;
    const reported = (
      records
        ? records.started(input.flowRunId, input.attempt)
        : runWorkflowId
          ? context.client.workflow.getHandle(runWorkflowId).signal(flowStartedSignal, { attempt: input.attempt })
          : Promise.resolve()
    ).catch((error: unknown) =>
      logger.warn('could not report that a flow run started', { flow_run: input.flowRunId, error: String(error) }),
    );

    const controller = new AbortController();
    let why: 'cancelled' | 'timed out' | undefined;
    const stop = (reason: 'cancelled' | 'timed out') => {
      if (why) return;
      why = reason;
      controller.abort(new Error(`the flow run was ${reason}`));
    };
    let details: unknown;
    const beat = setInterval(() => context.heartbeat(details), HEARTBEAT_EVERY_MS);
    const onCancel = () => stop('cancelled');
    context.cancellationSignal.addEventListener('abort', onCancel);
    const timer = input.timeoutSeconds ? setTimeout(() => stop('timed out'), input.timeoutSeconds * 1000) : undefined;
    // Once the signal fired the function gets a few seconds to stop; after that the attempt ends without it.
    const abandoned = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () =>
        setTimeout(
          () => reject(new Error(`the function did not stop within ${STOP_GRACE_MS / 1000} s`)),
          STOP_GRACE_MS,
        ).unref(),
      ),
    );
    abandoned.catch(() => undefined);

    try {
      const flowContext: FlowContext = {
        signal: controller.signal,
        flowRunId: input.flowRunId,
        attempt: input.attempt,
        heartbeat: (progress) => {
          details = progress;
          context.heartbeat(progress);
        },
      };
      const value: unknown = await Promise.race([found.flow(input.parameters, flowContext), abandoned]);
      if (why) throw new Error(`the flow run was ${why}`);
      const ended = asResult(value, input.resultMaxBytes);
      if (!records) return ended;
      await reported;
      await records.completed(input.flowRunId, input.attempt, ended);
      return { recorded: true };
    } catch (error) {
      if (why === 'cancelled') {
        // A worker shutting down is not the run being cancelled: fail retryably, so Temporal runs it elsewhere.
        if (context.cancellationDetails?.workerShutdown) throw new Error('the worker shut down while the flow ran');
        throw new CancelledFailure('the flow run was cancelled');
      }
      if (why === 'timed out')
        throw ApplicationFailure.nonRetryable(
          `the flow ran longer than its timeout_seconds (${input.timeoutSeconds})`,
          FLOW_TIMED_OUT,
        );
      if (error instanceof ApplicationFailure && error.type === FLOW_FAILED) throw error;
      throw ApplicationFailure.nonRetryable(messageOf(error), FLOW_FAILED);
    } finally {
      clearInterval(beat);
      clearTimeout(timer);
      context.cancellationSignal.removeEventListener('abort', onCancel);
      await reported;
    }
  };
}

/** The flow's return value as JSON, or only its size when that is over `maxBytes`. */
function asResult(value: unknown, maxBytes: number): { result: unknown } | { omittedResultBytes: number } {
  let json: string;
  try {
    json = JSON.stringify(value ?? null) ?? 'null';
  } catch (error) {
    throw ApplicationFailure.nonRetryable(
      `the flow returned a value that is not JSON: ${(error as Error).message}`,
      FLOW_FAILED,
    );
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) return { omittedResultBytes: bytes };
  return { result: JSON.parse(json) as unknown };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name || 'the flow failed';
  return typeof error === 'string' && error ? error : `the flow threw ${JSON.stringify(error) ?? String(error)}`;
}
