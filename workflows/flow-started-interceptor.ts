// The workflow interceptor of flow workers: when a flow run's child workflow starts executing on a worker, it tells
// the run's workflow, which records Running then (not when the child was merely created: nothing may poll its pool).
// tripwire's pool worker bundles it with every workflow flow; an external worker adds it with
// `interceptors: { workflowModules: flowRunInterceptorModules }` (tripwire/client).
import {
  getExternalWorkflowHandle,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  workflowInfo,
} from '@temporalio/workflow';
import { attemptOfFlowWorkflowId } from './ids';
import { FLOW_REPORTS_START_MEMO, flowStartedSignal } from './messages';

class ReportFlowStarted implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: (input: WorkflowExecuteInput) => Promise<unknown>) {
    const { parent, workflowId, memo } = workflowInfo();
    // Only flows whose run's workflow asks for it (by memo, part of the history, so replays decide alike).
    if (parent && memo?.[FLOW_REPORTS_START_MEMO] === true) {
      // Not awaited: the signal goes out with the flow's first commands, and the flow does not wait for it. A parent
      // that is gone (terminated) is no reason to fail the flow.
      getExternalWorkflowHandle(parent.workflowId, parent.runId)
        .signal(flowStartedSignal, { attempt: attemptOfFlowWorkflowId(workflowId) })
        .catch(() => undefined);
    }
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new ReportFlowStarted()] });
