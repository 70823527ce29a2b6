// The activity of the flow-run workflow: record a state change (database row and `prefect.flow-run.*` event).
import type { FlowRunService, TransitionInput } from '../deployment-runs/flow-run-service';

/** Returns the flow-run activities bound to `flowRuns`. */
export function createFlowRunActivities(flowRuns: FlowRunService) {
  return {
    /** Moves the run to the given state; idempotent, so retries are harmless. */
    async setFlowRunState(input: TransitionInput): Promise<void> {
      await flowRuns.transition(input);
    },
  };
}
