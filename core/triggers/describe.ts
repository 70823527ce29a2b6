// What a trigger is waiting for, as JSON for the state query and the API: open windows per bucket key, armed
// buckets, stored child firings, parked followers and the next wake. Read-only.
import type { CompositeTrigger, EventTrigger, MetricTrigger, Trigger } from './schema';
import type { NodeRef, TriggerState } from './state';
import { compositeNodes, eventLeaves, metricLeaves, triggerId } from './state';
import { triggeringLabels } from '../events/matching';
import { neededFirings } from './composite';
import { parseTime } from './time';
import { clockOffsetSeconds, nextWakeAt } from './wake';

/** One for_each bucket of an event trigger, as shown to people. */
export interface BucketView {
  labels: Record<string, string>;
  start: string;
  end: string;
  count: number;
  /** Triggers with `after` only: the bucket exists, so an `after` event has armed it. */
  armed: boolean;
  last_event_id: string | null;
}

/** The summary `describeState` returns. */
export interface TriggerStateView {
  /** When the workflow next has to tick, or null. */
  next_wake: string | null;
  /** Seconds event processing lags behind real time (Prefect's events-clock offset, ≤ 0). */
  clock_offset_seconds: number;
  event_triggers: {
    path: string;
    trigger_id: string;
    posture: EventTrigger['posture'];
    threshold: number;
    within: number;
    next_run: string | null;
    buckets: BucketView[];
  }[];
  metric_triggers: {
    path: string;
    trigger_id: string;
    triggered: boolean;
    last_value: number | null;
    last_evaluated: string | null;
    breaching_since: string | null;
    healthy_since: string | null;
    runs: number;
  }[];
  composite_triggers: {
    path: string;
    trigger_id: string;
    type: CompositeTrigger['type'];
    needed: number;
    firings: { child: number; trigger_id: string; firing_id: string; at: string; event_id: string | null }[];
  }[];
  parked_events: { id: string; event: string; follows: string | null; occurred: string; received: string }[];
  seen_events: number;
}

/** Returns a JSON summary of what `trigger` is waiting for in `state`. */
export function describeState(trigger: Trigger, state: TriggerState): TriggerStateView {
  return {
    next_wake: nextWakeAt(trigger, state),
    clock_offset_seconds: clockOffsetSeconds(state),
    event_triggers: eventLeaves(trigger).map((node) => describeLeaf(node, state)),
    metric_triggers: metricLeaves(trigger).map((node) => describeMetric(node, state)),
    composite_triggers: compositeNodes(trigger).map((node) => ({
      path: node.path,
      trigger_id: triggerId(node),
      type: node.trigger.type,
      needed: neededFirings(node.trigger),
      firings: (state.composites[node.path]?.firings ?? []).map((stored) => ({
        child: stored.child,
        trigger_id: stored.firing.trigger_id,
        firing_id: stored.firing.id,
        at: stored.at,
        event_id: stored.firing.triggering_event?.id ?? null,
      })),
    })),
    parked_events: state.parked.map(({ event }) => ({
      id: event.id,
      event: event.event,
      follows: event.follows,
      occurred: event.occurred,
      received: event.received,
    })),
    seen_events: state.seen.length,
  };
}

function describeLeaf(node: NodeRef<EventTrigger>, state: TriggerState): TriggerStateView['event_triggers'][number] {
  const leaf = state.leaves[node.path];
  const trigger = node.trigger;
  return {
    path: node.path,
    trigger_id: triggerId(node),
    posture: trigger.posture,
    threshold: trigger.threshold,
    within: trigger.within,
    next_run: leaf?.next_run ?? null,
    buckets: Object.values(leaf?.buckets ?? {})
      .sort((a, b) => parseTime(a.start) - parseTime(b.start))
      .map((bucket) => ({
        labels: triggeringLabels(trigger.for_each, bucket.key),
        start: bucket.start,
        end: bucket.end,
        count: bucket.count,
        armed: trigger.after.length > 0,
        last_event_id: bucket.last_event?.id ?? null,
      })),
  };
}

function describeMetric(
  node: NodeRef<MetricTrigger>,
  state: TriggerState,
): TriggerStateView['metric_triggers'][number] {
  const leaf = state.metrics[node.path];
  return {
    path: node.path,
    trigger_id: triggerId(node),
    triggered: leaf?.triggered ?? false,
    last_value: leaf?.last_value ?? null,
    last_evaluated: leaf?.last_evaluated ?? null,
    breaching_since: leaf?.breaching_since ?? null,
    healthy_since: leaf?.healthy_since ?? null,
    runs: leaf?.runs.length ?? 0,
  };
}
