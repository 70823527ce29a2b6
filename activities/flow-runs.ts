// The activity of the flow-run workflow: record a state change (database row and `prefect.flow-run.*` event).
import type { FlowRunRecords } from '../services/deployments/flow-run-records';
import type { FlowRunActivities, SetFlowRunStateInput } from '../workflows/activity-contracts';

/** Returns the flow-run activities bound to `flowRuns`. */
export function createFlowRunActivities(flowRuns: FlowRunRecords): FlowRunActivities {
  return {
    /** Moves the run to the given state; idempotent, so retries are harmless. */
    async setFlowRunState(input: SetFlowRunStateInput): Promise<void> {
      await flowRuns.transition(input);
    },
  };
}
