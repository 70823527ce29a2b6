// Event-trigger leaves: which events a leaf covers, its for_each buckets, and Prefect's `evaluate` of one bucket,
// driven by an event (reactive evaluation) or by time (proactive evaluation). Mutates the leaf state it is given.
//
// Implementation notes (Prefect's `triggers.py`, followed case by case):
// - Buckets: one per for_each key, {start, end, count, last_event}. An `after` event arms its key's bucket at
//   [t, t+within) with count -1 when the same event is also expected (it will count itself back to 0), else 0; an
//   expected event without `after` opens [t-15 min, t+within), the lookback absorbing out-of-order arrivals. An
//   existing bucket is never reset by arming, but its last_event is always replaced.
// - evaluate(bucket, now, event?): an event before `start` is ignored (late, or inside the cool-down after a firing).
//   An event inside [start, end), or any event of an immediate trigger (Reactive, within 0), counts. Reactive fires
//   as soon as count >= threshold; Proactive fires only once `end` has passed with count < threshold. Firing deletes
//   the bucket. A bucket that neither fired nor expired waits, except the heartbeat case: a Proactive bucket whose
//   threshold was just reached by an event named in both `after` and `expect` restarts at [t, t+within), count 0.
// - Rollover (fired, or expired): with `after` the bucket is deleted until re-armed; with within 0 it stays as it is
//   (the sweep removes it later); otherwise the next window is [max(end, now), +within) — the cool-down after a
//   reactive firing — and a reactive event that fell beyond the old window is re-evaluated in the new one.
// - Periodic (proactive) evaluation: ensure the empty-key bucket when there is no for_each, delete buckets already
//   at the threshold, evaluate the rest with no event. Buckets ending 60 s before `as_of` are swept.
import {
  bucketKey,
  eventNameMatchesAny,
  expects,
  matchRelated,
  resourceSpecMatches,
  startsAfter,
  triggeringLabels,
} from '../events/matching';
import type { ReceivedEvent } from '../events/schema';
import type { EventTrigger, Firing } from './schema';
import type { Bucket, EventLeafState, NodeFiring, NodeRef, StepContext } from './state';
import { triggerId } from './state';
import { formatTime, micros, parseTime, SECOND } from './time';

/** How far before the first expected event a new bucket starts (Prefect's PRECEDING_EVENT_LOOKBACK). */
export const PRECEDING_EVENT_LOOKBACK = 15 * 60 * SECOND;
/** How long after its end a bucket is kept before the sweep deletes it (PREFECT_EVENTS_EXPIRED_BUCKET_BUFFER). */
export const EXPIRED_BUCKET_BUFFER = 60 * SECOND;

/** True when `trigger` is interested in `event`: its event names, `match` and `match_related` all pass. */
export function leafCovers(trigger: EventTrigger, event: ReceivedEvent): boolean {
  const names = trigger.expect.length === 0 ? [] : [...trigger.expect, ...trigger.after];
  return (
    (names.length === 0 || eventNameMatchesAny(names, event.event)) &&
    resourceSpecMatches(trigger.match, event.resource) &&
    matchRelated(trigger.match_related, event.related)
  );
}

/** Returns a new, empty leaf state. */
export function emptyLeafState(): EventLeafState {
  return { buckets: {}, next_run: null };
}

/** Returns the record key of a bucketing key. */
export function bucketId(key: string[]): string {
  return JSON.stringify(key);
}

/**
 * Processes one covered event for one leaf (Prefect's `reactive_evaluation` for one trigger) and returns the
 * leaf's firings; usually none or one, two when a future event rolls a window over and fires in the next one.
 */
export function reactiveEvaluation(
  node: NodeRef<EventTrigger>,
  leaf: EventLeafState,
  event: ReceivedEvent,
  ctx: StepContext,
): NodeFiring[] {
  const trigger = node.trigger;
  const key = bucketKey(trigger.for_each, event);
  const occurred = parseTime(event.occurred);
  const within = micros(trigger.within);
  const expected = expects(trigger.expect, event.event, trigger.after);
  let bucket: Bucket | undefined;

  if (trigger.after.length > 0 && startsAfter(trigger.after, event.event, trigger.expect)) {
    bucket = ensureBucket(leaf, key, occurred, occurred + within, event, expected ? -1 : 0);
  }
  if (!bucket && trigger.after.length === 0 && expected) {
    bucket = ensureBucket(leaf, key, occurred - PRECEDING_EVENT_LOOKBACK, occurred + within, event, 0);
  }
  if (!expected) return [];
  bucket ??= leaf.buckets[bucketId(key)];
  if (!bucket) return [];

  const firings: NodeFiring[] = [];
  evaluate(node, leaf, bucket, occurred, event, ctx, firings);
  return firings;
}

/**
 * Evaluates a Proactive leaf as of `asOf` (event-clock time, no event) and returns its firings and when it wants to
 * be evaluated again (`asOf + within`, or the earliest bucket end before that).
 */
export function proactiveEvaluation(
  node: NodeRef<EventTrigger>,
  leaf: EventLeafState,
  asOf: number,
  ctx: StepContext,
): { firings: NodeFiring[]; runAgainAt: number } {
  const trigger = node.trigger;
  const within = micros(trigger.within);
  let runAgainAt = asOf + within;
  if (trigger.for_each.length === 0) ensureBucket(leaf, [], asOf, asOf + within, null, 0);
  for (const [id, bucket] of Object.entries(leaf.buckets)) {
    if (bucket.count >= trigger.threshold) delete leaf.buckets[id];
  }

  const firings: NodeFiring[] = [];
  const ordered = Object.values(leaf.buckets).sort((a, b) => parseTime(a.start) - parseTime(b.start));
  for (const bucket of ordered) {
    const next = evaluate(node, leaf, bucket, asOf, null, ctx, firings);
    const end = next ? parseTime(next.end) : undefined;
    if (end !== undefined && asOf < end && end < runAgainAt) runAgainAt = end;
  }
  return { firings, runAgainAt };
}

/** Deletes the buckets that ended at or before `olderThan` (Prefect's `sweep_closed_buckets`). */
export function sweepBuckets(leaf: EventLeafState, olderThan: number): void {
  for (const [id, bucket] of Object.entries(leaf.buckets)) {
    if (parseTime(bucket.end) <= olderThan) delete leaf.buckets[id];
  }
}

function ensureBucket(
  leaf: EventLeafState,
  key: string[],
  start: number,
  end: number,
  lastEvent: ReceivedEvent | null,
  initialCount: number,
): Bucket {
  const id = bucketId(key);
  const existing = leaf.buckets[id];
  if (existing) {
    if (lastEvent) existing.last_event = lastEvent;
    return existing;
  }
  const bucket: Bucket = {
    key,
    start: formatTime(start),
    end: formatTime(end),
    count: initialCount,
    last_event: lastEvent,
  };
  leaf.buckets[id] = bucket;
  return bucket;
}

/** Prefect's `evaluate`: returns the bucket the key has afterwards, or null when it has none (or it was kept as is). */
function evaluate(
  node: NodeRef<EventTrigger>,
  leaf: EventLeafState,
  bucket: Bucket,
  now: number,
  event: ReceivedEvent | null,
  ctx: StepContext,
  firings: NodeFiring[],
): Bucket | null {
  const trigger = node.trigger;
  const id = bucketId(bucket.key);
  const within = micros(trigger.within);
  const start = parseTime(bucket.start);
  const end = parseTime(bucket.end);
  // The event's count has to be spent somewhere: in this window, or in the next one.
  let pending = event ? 1 : 0;

  if (now < start) return bucket;

  const immediate = trigger.posture === 'Reactive' && within === 0;
  if (pending > 0 && (immediate || (start <= now && now < end))) {
    bucket.count += pending;
    bucket.last_event = event;
    pending = 0;
  }

  const ready = trigger.posture === 'Reactive' || end <= now;
  const meets = trigger.posture === 'Reactive' ? bucket.count >= trigger.threshold : bucket.count < trigger.threshold;
  let fired = false;
  if (ready && meets) {
    firings.push({
      path: node.path,
      firing: leafFiring(node, bucket, event ?? bucket.last_event, ctx),
      at: now,
      step: ctx.step,
    });
    delete leaf.buckets[id];
    fired = true;
  } else if (now < end) {
    if (event && isHeartbeat(trigger, bucket, event)) {
      const restarted: Bucket = {
        key: bucket.key,
        start: formatTime(now),
        end: formatTime(now + within),
        count: 0,
        last_event: event,
      };
      leaf.buckets[id] = restarted;
      return restarted;
    }
    return bucket;
  }

  if (trigger.after.length > 0) {
    delete leaf.buckets[id];
    return null;
  }
  if (within === 0) return null;

  const nextStart = Math.max(end, now);
  // A bucket deleted by firing comes back without a last event; one rolled over after expiring keeps it.
  const next: Bucket = {
    key: bucket.key,
    start: formatTime(nextStart),
    end: formatTime(nextStart + within),
    count: 0,
    last_event: fired ? null : bucket.last_event,
  };
  leaf.buckets[id] = next;
  if (trigger.posture === 'Reactive' && pending > 0) return evaluate(node, leaf, next, now, event, ctx, firings);
  next.count = pending;
  return next;
}

/** The heartbeat pattern: every repeat of an event named in both `after` and `expect` restarts the deadline. */
function isHeartbeat(trigger: EventTrigger, bucket: Bucket, event: ReceivedEvent): boolean {
  return (
    trigger.posture === 'Proactive' &&
    bucket.count >= trigger.threshold &&
    startsAfter(trigger.after, event.event, trigger.expect) &&
    expects(trigger.expect, event.event, trigger.after)
  );
}

function leafFiring(
  node: NodeRef<EventTrigger>,
  bucket: Bucket,
  event: ReceivedEvent | null,
  ctx: StepContext,
): Firing {
  return {
    id: ctx.newId(),
    trigger_id: triggerId(node),
    trigger_states: ['Triggered'],
    triggered: ctx.now,
    triggering_labels: triggeringLabels(node.trigger.for_each, bucket.key),
    triggering_firings: [],
    triggering_event: event,
  };
}
