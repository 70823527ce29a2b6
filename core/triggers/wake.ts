// When the automation workflow next has to call `onTick`, so it can sleep on a Temporal timer instead of polling.
import { EXPIRED_BUCKET_BUFFER } from './buckets';
import { nextMetricEvaluation } from './metric';
import { nextFollowerTimeout } from './ordering';
import type { Trigger } from './schema';
import type { TriggerState } from './state';
import { eventLeaves, metricLeaves } from './state';
import { formatTime, parseTime, SECOND } from './time';

/** Sweep wakes are rounded up to this grid, so a busy trigger does not wake once per expiring bucket. */
const SWEEP_GRANULARITY = 60 * SECOND;

/** Returns the earliest wall-clock time at which `onTick` has work to do, or null when nothing is scheduled. */
export function nextWakeAt(trigger: Trigger, state: TriggerState): string | null {
  const offset = clockOffset(state);
  const times: number[] = [];
  let sweepAt = Number.POSITIVE_INFINITY;
  for (const node of eventLeaves(trigger)) {
    const leaf = state.leaves[node.path];
    if (!leaf) continue;
    for (const bucket of Object.values(leaf.buckets)) {
      const end = parseTime(bucket.end);
      sweepAt = Math.min(sweepAt, end + EXPIRED_BUCKET_BUFFER - offset);
      if (node.trigger.posture === 'Proactive' && bucket.count < node.trigger.threshold) times.push(end - offset);
    }
    if (node.trigger.posture === 'Proactive' && leaf.next_run !== null) times.push(parseTime(leaf.next_run));
  }
  if (Number.isFinite(sweepAt)) times.push(Math.ceil(sweepAt / SWEEP_GRANULARITY) * SWEEP_GRANULARITY);
  const followerTimeout = nextFollowerTimeout(state);
  if (followerTimeout !== undefined) times.push(followerTimeout);
  for (const node of metricLeaves(trigger)) {
    const leaf = state.metrics[node.path];
    const due = leaf ? nextMetricEvaluation(leaf) : undefined;
    if (due !== undefined) times.push(due);
  }
  return times.length === 0 ? null : formatTime(Math.min(...times));
}

/** Prefect's events-clock offset in microseconds (≤ 0): how far behind real time event processing currently is. */
export function clockOffset(state: TriggerState): number {
  return state.clock ? parseTime(state.clock.occurred) - parseTime(state.clock.observed) : 0;
}

/** The clock offset in seconds, for people. */
export function clockOffsetSeconds(state: TriggerState): number {
  return clockOffset(state) / SECOND;
}
