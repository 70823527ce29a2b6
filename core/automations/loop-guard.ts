// Prefect's infinite-loop guard (§7.2): an enabled automation that runs a deployment whenever *any* flow run is
// scheduled, pending or running would trigger itself forever, so it is refused when saved.
import type { ResourceSpecification } from '../events/matching';
import type { Trigger } from '../triggers/schema';
import type { Action } from './action-schema';

const LOOPING_NAMES = [
  'prefect.flow-run.Scheduled',
  'prefect.flow-run.Pending',
  'prefect.flow-run.Running',
  'prefect.flow-run.*',
];

function unfiltered(spec: ResourceSpecification): boolean {
  const keys = Object.keys(spec);
  if (keys.length === 0) return true;
  if (keys.length !== 1 || keys[0] !== 'prefect.resource.id') return false;
  const value = spec['prefect.resource.id'];
  return (
    value === 'prefect.flow-run.*' || (Array.isArray(value) && value.length === 1 && value[0] === 'prefect.flow-run.*')
  );
}

/** Returns the message to refuse the automation with, or undefined when it cannot loop. */
export function infiniteLoopProblem(enabled: boolean, trigger: Trigger, actions: Action[]): string | undefined {
  if (!enabled || trigger.type !== 'event' || trigger.posture !== 'Reactive') return undefined;
  if (!trigger.expect.some((name) => name.startsWith('prefect.flow-run.'))) return undefined;
  if (!trigger.expect.some((name) => LOOPING_NAMES.includes(name))) return undefined;
  const related = Array.isArray(trigger.match_related) ? trigger.match_related : [trigger.match_related];
  const broad = unfiltered(trigger.match) && related.every(unfiltered);
  for (const action of actions) {
    if (action.type !== 'run-deployment') continue;
    if (action.source === 'inferred' || broad) {
      return 'Running an inferred deployment from a flow run state change event will lead to an infinite loop of flow runs.';
    }
  }
  return undefined;
}
