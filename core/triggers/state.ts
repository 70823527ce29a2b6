// The JSON state of one automation's trigger tree and how its nodes are addressed. Plain objects, arrays, strings and
// numbers only: the state is carried through Temporal continue-as-new and shown by the state query.
import type { ReceivedEvent } from '../events/schema';
import type { CompositeTrigger, EventTrigger, Firing, MetricTrigger, Trigger } from './schema';

/** One `for_each` bucket of an event trigger (Prefect's automation_bucket row). Times are ISO strings. */
export interface Bucket {
  /** The for_each label values in sorted label-name order ('' for a missing label). */
  key: string[];
  start: string;
  end: string;
  count: number;
  last_event: ReceivedEvent | null;
}

/** The state of one event-trigger leaf. */
export interface EventLeafState {
  /** Buckets by `JSON.stringify(key)`. */
  buckets: Record<string, Bucket>;
  /** Proactive leaves only: the wall-clock time before which periodic evaluation skips this leaf. */
  next_run: string | null;
}

/** A child firing a composite trigger is holding until enough siblings have fired (one per child). */
export interface StoredFiring {
  /** Index of the child in the composite's `triggers`. */
  child: number;
  firing: Firing;
  /** The event time the firing stands for: its triggering event's `occurred`, or the evaluation time of a tick. */
  at: string;
  /** The processing step (event or tick) that produced it; two firings from one step share it. */
  step: number;
}

/** The state of one compound or sequence node. */
export interface CompositeState {
  firings: StoredFiring[];
}

/** One flow run's state history as a metric trigger records it. */
export interface MetricRun {
  run: string;
  /** [state name, occurred ISO] in occurred order, bounded. */
  states: [string, string][];
}

/** The state of one metric-trigger leaf. */
export interface MetricLeafState {
  runs: MetricRun[];
  /** Whether the trigger is in the Triggered state (fired and not yet resolved). */
  triggered: boolean;
  /** Since when (event-clock time) the condition has held without interruption. */
  breaching_since: string | null;
  /** Triggered leaves only: since when (event-clock time) the condition has not held. */
  healthy_since: string | null;
  /** The metric's value at the last evaluation; null when nothing was measurable. */
  last_value: number | null;
  /** Wall-clock time of the last evaluation; evaluations are at least a minute apart. */
  last_evaluated: string | null;
}

/** An event held back until the event it `follows` has been processed (Prefect's causal ordering). */
export interface ParkedEvent {
  event: ReceivedEvent;
}

/** The whole state of one automation's trigger tree; `initialTriggerState` makes the first one. */
export interface TriggerState {
  version: 1;
  /** Processing steps so far (events and ticks); orders child firings that share an event time. */
  step: number;
  /** Prefect's events clock: the latest event time seen (never ahead of `observed`) and when it was seen. */
  clock: { occurred: string; observed: string } | null;
  /** Event-trigger leaves by node path. */
  leaves: Record<string, EventLeafState>;
  /** Metric-trigger leaves by node path. */
  metrics: Record<string, MetricLeafState>;
  /** Compound and sequence nodes by node path. */
  composites: Record<string, CompositeState>;
  /** Ids of processed events and when they were processed, oldest first. */
  seen: { readonly id: string; readonly at: string }[];
  /** Followers waiting for their leader, in arrival order. */
  parked: ParkedEvent[];
}

/** What one processing step (an event, or a tick) needs besides the state: its wall-clock time and an id source. */
export interface StepContext {
  /** Wall-clock time of the step (the caller's `now`); becomes `Firing.triggered`. */
  now: string;
  newId: () => string;
  /** The step's number (`TriggerState.step` after incrementing). */
  step: number;
}

/** A firing on its way up the tree, with the event time and step it stands for (see StoredFiring). */
export interface NodeFiring {
  path: string;
  firing: Firing;
  /** Microseconds since the epoch. */
  at: number;
  step: number;
}

/** A node of the trigger tree with its path: '$' for the root, '$.0', '$.0.1', ... for children. */
export interface NodeRef<T extends Trigger = Trigger> {
  path: string;
  trigger: T;
}

/** Returns the path of child `index` of the node at `path`. */
export function childPath(path: string, index: number): string {
  return `${path}.${index}`;
}

/** The path of the root node. */
export const ROOT = '$';

/** Returns every node of `trigger` in pre-order (Prefect's order for evaluating the leaves of one event). */
export function nodes(trigger: Trigger, path = ROOT): NodeRef[] {
  if (trigger.type === 'compound' || trigger.type === 'sequence') {
    return [{ path, trigger }, ...trigger.triggers.flatMap((child, index) => nodes(child, childPath(path, index)))];
  }
  return [{ path, trigger }];
}

/** Returns the event-trigger leaves of `trigger` in pre-order. */
export function eventLeaves(trigger: Trigger): NodeRef<EventTrigger>[] {
  return nodes(trigger).filter((node): node is NodeRef<EventTrigger> => node.trigger.type === 'event');
}

/** Returns the metric-trigger leaves of `trigger` in pre-order. */
export function metricLeaves(trigger: Trigger): NodeRef<MetricTrigger>[] {
  return nodes(trigger).filter((node): node is NodeRef<MetricTrigger> => node.trigger.type === 'metric');
}

/** Returns the compound and sequence nodes of `trigger` in pre-order. */
export function compositeNodes(trigger: Trigger): NodeRef<CompositeTrigger>[] {
  return nodes(trigger).filter(
    (node): node is NodeRef<CompositeTrigger> => node.trigger.type === 'compound' || node.trigger.type === 'sequence',
  );
}

/** The id a firing of the node carries: the node's id, or its path when the definition has no ids. */
export function triggerId(node: NodeRef): string {
  return node.trigger.id ?? node.path;
}

/** Returns a deep copy of `state`, so transitions never mutate their input. */
export function cloneState(state: TriggerState): TriggerState {
  // The seen list is most of a busy trigger's state, and its entries are never changed in place (ordering.ts only
  // adds and removes them): a copy of the list shares them instead of serializing thousands of ids per event.
  const { seen, ...rest } = state;
  return { ...structuredCloneJson(rest), seen: seen.slice() };
}

function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
