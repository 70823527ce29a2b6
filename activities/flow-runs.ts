// The activities of the flow-run workflow: record state changes (database row and `prefect.flow-run.*` events).
import type { FlowRunRecords } from '../services/deployments/flow-run-records';
import type {
  FlowRunActivities,
  RecordFlowRunStatesInput,
  SetFlowRunStateInput,
} from '../workflows/activity-contracts';

/** Returns the flow-run activities bound to `flowRuns`. */
export function createFlowRunActivities(flowRuns: FlowRunRecords): FlowRunActivities {
  return {
    /** Moves the run to the given state; idempotent, so retries are harmless. */
    async setFlowRunState(input: SetFlowRunStateInput): Promise<void> {
      await flowRuns.transition(input);
    },
    /** Moves the run through the given states in one write; idempotent, so retries are harmless. */
    async recordFlowRunStates(input: RecordFlowRunStatesInput): Promise<void> {
      await flowRuns.record(input);
    },
  };
}
