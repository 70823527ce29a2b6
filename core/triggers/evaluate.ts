// The pure, deterministic state machine of one automation's trigger tree: (trigger, state, events | tick, now) →
// { state, firings }. Bundled into the automation workflow, so it reads no clock and keeps its state JSON-only.
//
// Implementation notes:
// - `ingest` is what the workflow calls with each batch of events: sorted by `occurred`, `prefect.log.write` and
//   already-processed ids skipped, followers parked until their leader (ordering.ts), then `onEvent` for each.
// - `onEvent` is one event: Prefect's events clock moves, every event-trigger leaf covering the event evaluates it
//   (buckets.ts), metric leaves record it (metric.ts), the leaf firings climb the composites (composite.ts), and
//   expired buckets are swept. Times inside the tree are event times; `now` only stamps `Firing.triggered`, drives
//   the clock offset, ages seen ids and parked followers.
// - `onTick` is time passing: lost followers are processed, Proactive leaves that are due are evaluated as of
//   `now` + clock offset (Prefect's `as_of`, which lags by the current processing delay so a backlog never looks like
//   an absence), metric leaves that are due are evaluated, and expired buckets are swept.
// - `nextWakeAt` says when `onTick` next has work: a Proactive leaf's next run or a bucket deadline that can fire
//   (converted to wall time through the clock offset), a parked follower's timeout, a metric evaluation, or a
//   bucket sweep (rounded up to the minute so a busy trigger does not wake once per bucket).
// - Where this differs from Prefect, on purpose: composite `within` and sequence order use event time, and one
//   event cannot satisfy two steps of a sequence (composite.ts; both are bugs Prefect's own tests mark xfail);
//   `Firing.triggered` is the `now` input rather than the wall clock at firing; the seen and parked lists are
//   bounded (ordering.ts); Proactive leaves are evaluated at exact wake times (when their next run is due or a
//   bucket has expired in event-clock time) instead of on a 5-second poll, which reaches the same points.
import type { ReceivedEvent } from '../events/schema';
import {
  EXPIRED_BUCKET_BUFFER,
  emptyLeafState,
  leafCovers,
  proactiveEvaluation,
  reactiveEvaluation,
  sweepBuckets,
} from './buckets';
import { emptyCompositeState, propagate } from './composite';
import { emptyMetricState, evaluateMetric, metricCovers, recordMetricEvent } from './metric';
import {
  byOccurred,
  followersOf,
  hasBeenSeen,
  isParked,
  MAX_FOLLOWER_DEPTH,
  mustWaitForLeader,
  park,
  pruneSeen,
  recordSeen,
  takeLostFollowers,
  unpark,
} from './ordering';
import type { Firing, Trigger } from './schema';
import type { EventLeafState, NodeFiring, StepContext, TriggerState } from './state';
import { cloneState, compositeNodes, eventLeaves, metricLeaves } from './state';
import { formatTime, parseTime } from './time';
import { clockOffset } from './wake';

export type { TriggerState } from './state';
export { describeState } from './describe';
export { clockOffset, nextWakeAt } from './wake';

/** What every transition returns: the next state and the firings of the root trigger, in order. */
export interface TriggerTransition {
  state: TriggerState;
  firings: Firing[];
}

/** Events that never reach triggers, as in Prefect's triggers consumer. */
const IGNORED_EVENTS = new Set(['prefect.log.write']);

/** Returns the state of a trigger tree created (or reset) at `now`; Proactive leaves are due for a tick at `now`. */
export function initialTriggerState(trigger: Trigger, now: string): TriggerState {
  const state: TriggerState = {
    version: 1,
    step: 0,
    clock: null,
    leaves: {},
    metrics: {},
    composites: {},
    seen: [],
    parked: [],
  };
  for (const { path, trigger: leaf } of eventLeaves(trigger)) {
    // A Proactive leaf is due at once: its first periodic evaluation opens its watch window (Prefect runs it on the
    // first 5-second tick after loading the automation).
    state.leaves[path] = { buckets: {}, next_run: leaf.posture === 'Proactive' ? now : null };
  }
  for (const { path } of metricLeaves(trigger)) state.metrics[path] = emptyMetricState(now);
  for (const { path } of compositeNodes(trigger)) state.composites[path] = emptyCompositeState();
  return state;
}

/** Options of `ingest`. */
export interface IngestOptions {
  /**
   * Park an event whose `follows` leader has not been processed yet (default true, as Prefect). Turn it off only when
   * the caller already delivers events in causal order: a leader that is never delivered to this automation (because
   * it matches none of its triggers) would otherwise hold its follower back for 15 minutes.
   */
  waitForLeaders?: boolean;
  /**
   * Ids of events received elsewhere that this trigger is never given (they match none of its leaves): they count as
   * processed, so their followers neither wait for them nor stay parked.
   */
  leadersSeen?: readonly string[];
}

/**
 * Processes a batch of received events: sorted by `occurred`, ids processed in the last 30 minutes skipped, followers
 * parked until their leader has been processed (or 15 minutes after receipt). Returns every root firing.
 */
export function ingest(
  trigger: Trigger,
  state: TriggerState,
  events: ReceivedEvent[],
  now: string,
  newId: () => string,
  options: IngestOptions = {},
): TriggerTransition {
  const pass = start(trigger, state, now, newId, options.waitForLeaders ?? true);
  pruneSeen(pass.state, pass.at);
  sweep(pass, 'reactive');
  for (const id of options.leadersSeen ?? []) {
    if (hasBeenSeen(pass.state, id, pass.at)) continue;
    recordSeen(pass.state, id, pass.at);
    releaseFollowers(pass, id, 0);
  }
  for (const event of byOccurred(events)) {
    if (IGNORED_EVENTS.has(event.event)) continue;
    if (hasBeenSeen(pass.state, event.id, pass.at) || isParked(pass.state, event.id)) continue;
    handle(pass, event, 0, false);
  }
  sweep(pass, 'reactive');
  return finish(pass);
}

/**
 * Evaluates one event against the whole tree, without de-duplication or ordering (use `ingest` for those). Returns
 * the root firings it causes.
 */
export function onEvent(
  trigger: Trigger,
  state: TriggerState,
  event: ReceivedEvent,
  now: string,
  newId: () => string,
): TriggerTransition {
  const pass = start(trigger, state, now, newId, false);
  sweep(pass, 'reactive');
  advanceClock(pass.state, event, pass.at);
  pass.firings.push(...evaluateEvent(pass, event));
  sweep(pass, 'reactive');
  return finish(pass);
}

/**
 * Lets time pass to `now`: processes followers whose leader never came, evaluates the Proactive and metric leaves
 * that are due, and sweeps expired buckets. Returns the root firings.
 */
export function onTick(trigger: Trigger, state: TriggerState, now: string, newId: () => string): TriggerTransition {
  const pass = start(trigger, state, now, newId, true);
  pruneSeen(pass.state, pass.at);
  for (const event of takeLostFollowers(pass.state, pass.at)) handle(pass, event, 0, true);

  const next = pass.state;
  const asOf = pass.at + clockOffset(next);
  const ctx: StepContext = { now, newId, step: ++next.step };
  const leafFirings: NodeFiring[] = [];
  for (const node of eventLeaves(trigger)) {
    if (node.trigger.posture !== 'Proactive') continue;
    const leaf = (next.leaves[node.path] ??= emptyLeafState());
    if (!isDue(leaf, pass.at, asOf)) continue;
    const result = proactiveEvaluation(node, leaf, asOf, ctx);
    leafFirings.push(...result.firings);
    // Kept in wall-clock time: the wall time at which `as_of` will reach the deadline.
    leaf.next_run = formatTime(result.runAgainAt - clockOffset(next));
  }
  for (const node of metricLeaves(trigger)) {
    const leaf = (next.metrics[node.path] ??= emptyMetricState(now));
    leafFirings.push(...evaluateMetric(node, leaf, asOf, pass.at, ctx));
  }
  pass.firings.push(...propagate(trigger, next, leafFirings, ctx));
  sweep(pass, 'all');
  return finish(pass);
}

/** One call's working set: a private copy of the state and the root firings collected so far. */
interface Pass {
  trigger: Trigger;
  state: TriggerState;
  now: string;
  /** `now` in microseconds. */
  at: number;
  newId: () => string;
  waitForLeaders: boolean;
  firings: Firing[];
}

function start(trigger: Trigger, state: TriggerState, now: string, newId: () => string, waitForLeaders: boolean): Pass {
  return { trigger, state: cloneState(state), now, at: parseTime(now), newId, waitForLeaders, firings: [] };
}

function finish(pass: Pass): TriggerTransition {
  // The firings are copied so that a caller changing them cannot reach into the returned state.
  return { state: pass.state, firings: JSON.parse(JSON.stringify(pass.firings)) as Firing[] };
}

/**
 * One event through ordering: park it, or evaluate it and then release its followers (depth-limited). A `lost`
 * follower is evaluated without waiting any longer for its leader.
 */
function handle(pass: Pass, event: ReceivedEvent, depth: number, lost: boolean): void {
  const { state, at } = pass;
  // Prefect moves the clock before ordering, so even a parked event counts as seen traffic.
  advanceClock(state, event, at);
  if (!lost && pass.waitForLeaders && mustWaitForLeader(state, event, at)) {
    for (const evicted of park(state, event)) handle(pass, evicted, 0, true);
    return;
  }
  pass.firings.push(...evaluateEvent(pass, event));
  recordSeen(state, event.id, at);
  releaseFollowers(pass, event.id, depth);
}

/** Evaluates the parked followers of a processed leader, in `occurred` order (depth-limited). */
function releaseFollowers(pass: Pass, leaderId: string, depth: number): void {
  for (const follower of followersOf(pass.state, leaderId)) {
    if (depth + 1 > MAX_FOLLOWER_DEPTH) break;
    unpark(pass.state, follower.id);
    handle(pass, follower, depth + 1, false);
  }
}

function evaluateEvent(pass: Pass, event: ReceivedEvent): Firing[] {
  const { trigger, state, now, newId } = pass;
  const ctx: StepContext = { now, newId, step: ++state.step };
  const leafFirings: NodeFiring[] = [];
  for (const node of eventLeaves(trigger)) {
    if (!leafCovers(node.trigger, event)) continue;
    const leaf = (state.leaves[node.path] ??= emptyLeafState());
    leafFirings.push(...reactiveEvaluation(node, leaf, event, ctx));
  }
  for (const node of metricLeaves(trigger)) {
    if (metricCovers(node.trigger, event))
      recordMetricEvent((state.metrics[node.path] ??= emptyMetricState(now)), event);
  }
  return propagate(trigger, state, leafFirings, ctx);
}

/** Prefect's `update_events_clock`: the latest event time seen, never ahead of `now`, and when it was seen. */
function advanceClock(state: TriggerState, event: ReceivedEvent, now: number): void {
  const occurred = Math.min(parseTime(event.occurred), now);
  const current = state.clock ? parseTime(state.clock.occurred) : undefined;
  state.clock = {
    occurred: formatTime(current === undefined || occurred >= current ? occurred : current),
    observed: formatTime(now),
  };
}

/** A Proactive leaf is due when its next run has come, or one of its buckets has expired as of `asOf`. */
function isDue(leaf: EventLeafState, now: number, asOf: number): boolean {
  if (leaf.next_run === null || parseTime(leaf.next_run) <= now) return true;
  return Object.values(leaf.buckets).some((bucket) => parseTime(bucket.end) <= asOf);
}

/**
 * Deletes buckets that ended more than the buffer before `as_of` (Prefect's periodic sweep). Between ticks only
 * Reactive leaves are swept: a Proactive bucket must first be evaluated by a tick, however late that tick is.
 */
function sweep(pass: Pass, leaves: 'reactive' | 'all'): void {
  const olderThan = pass.at + clockOffset(pass.state) - EXPIRED_BUCKET_BUFFER;
  for (const node of eventLeaves(pass.trigger)) {
    const leaf = pass.state.leaves[node.path];
    if (leaf && (leaves === 'all' || node.trigger.posture === 'Reactive')) sweepBuckets(leaf, olderThan);
  }
}
