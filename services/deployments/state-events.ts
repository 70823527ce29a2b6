// The `prefect.flow-run.<State>` events a flow run emits at every state change (Prefect §8), so that triggers chain:
// labels describe the new state, related resources name the flow, deployment, work pool, tags and the automation
// that created the run, and `follows` links the previous state when it is recent.
import type { DeploymentRecord } from '../../db/deployments';
import type { FlowRunRecord, FlowRunState } from '../../db/flow-runs';
import type { Event } from '../../core/events/schema';
import { derivedId } from '../../core/ids';
import { resourceIdFor } from '../../core/resources';

const FIVE_MINUTES_MS = 5 * 60 * 1000;

/** The resource id of a flow (tripwire has no flow records: the id derives from the workflow type's name). */
export function flowResourceId(flowName: string): string {
  return resourceIdFor('flow', derivedId('flow', flowName));
}

/** The resource id of a work pool. */
export function workPoolResourceId(pool: string): string {
  return resourceIdFor('work-pool', derivedId('work-pool', pool));
}

/** Returns the state-change event of `run` entering `state` from `previous`. */
export function flowRunStateEvent(
  run: FlowRunRecord,
  state: FlowRunState,
  previous: FlowRunState | null,
  deployment: DeploymentRecord | undefined,
): Event {
  const related: Record<string, string>[] = [
    {
      'prefect.resource.id': flowResourceId(run.flow_name),
      'prefect.resource.role': 'flow',
      'prefect.resource.name': run.flow_name,
    },
  ];
  if (deployment) {
    related.push({
      'prefect.resource.id': resourceIdFor('deployment', deployment.id),
      'prefect.resource.role': 'deployment',
      'prefect.resource.name': deployment.name,
    });
  }
  related.push({
    'prefect.resource.id': workPoolResourceId(run.work_pool),
    'prefect.resource.role': 'work-pool',
    'prefect.resource.name': run.work_pool,
    // tripwire's own pools, or `external` for a team's own worker (the deployment's work_pool.type).
    'prefect.work-pool.type': deployment?.work_pool_type ?? 'tripwire',
  });
  for (const tag of [...new Set([...run.tags, ...(deployment?.tags ?? [])])].sort()) {
    related.push({ 'prefect.resource.id': resourceIdFor('tag', tag), 'prefect.resource.role': 'tag' });
  }
  if (run.created_by?.type === 'AUTOMATION' && run.created_by.id) {
    related.push({
      'prefect.resource.id': resourceIdFor('automation', run.created_by.id),
      'prefect.resource.role': 'creator',
      ...(run.created_by.display_value ? { 'prefect.resource.name': run.created_by.display_value } : {}),
    });
  }
  const describe = (s: FlowRunState) => ({ type: s.type, name: s.name, ...(s.message ? { message: s.message } : {}) });
  return {
    id: state.id,
    occurred: state.timestamp,
    event: `prefect.flow-run.${state.name}`,
    resource: {
      'prefect.resource.id': resourceIdFor('flow-run', run.id),
      'prefect.resource.name': run.name,
      'prefect.run-count': state.type === 'RUNNING' || previous?.type === 'RUNNING' ? '1' : '0',
      'prefect.state-message': (state.message ?? '').slice(0, 100_000),
      'prefect.state-name': state.name,
      'prefect.state-timestamp': state.timestamp,
      'prefect.state-type': state.type,
    },
    related,
    payload: {
      intended: { from: previous?.type ?? null, to: state.type },
      initial_state: previous ? describe(previous) : null,
      validated_state: describe(state),
    },
    follows:
      previous && Math.abs(Date.parse(state.timestamp) - Date.parse(previous.timestamp)) <= FIVE_MINUTES_MS
        ? previous.id
        : null,
  };
}
