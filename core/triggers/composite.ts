// Compound and sequence triggers: how the firings of one processing step travel up the tree (Prefect's `fire` and
// `evaluate_composite_trigger`). Mutates the composite states it is given.
//
// Implementation notes:
// - A composite needs `require` firings (any → 1, all → every child, n → n); a sequence needs every child. When it
//   needs one, a child firing fires it at once and nothing is stored.
// - Otherwise each child keeps at most one stored firing (a newer firing of the same child replaces it). With a
//   `within`, stored firings older than `within` before the newest one are dropped first; a late child firing that is
//   itself that old is dropped instead of stored.
// - A compound is ready when it holds as many firings as it needs; a sequence when every child holds one and, ordered
//   by time, they follow the declared order. Ready means: take every stored firing, clear them, and fire with those
//   as `triggering_firings`, the current child's event as `triggering_event`, and empty `triggering_labels`.
// - Nested composites are children like any other: their firings climb the same way.
//
// Where this differs from Prefect, on purpose (Prefect's own tests mark both as known bugs, xfail):
// - Time is event time. A child firing stands for its triggering event's `occurred` (for a proactive firing: the
//   evaluation time it fired at), and both `within` and sequence order use it. Prefect uses the wall-clock time the
//   child fired, so events 14 minutes apart satisfy a 5-second `within` when they are processed quickly.
// - One event cannot satisfy two steps of a sequence. Firings are ordered by (event time, step) and must strictly
//   increase, so two children fired by the same event never count as "in order"; the children of a sequence that one
//   step fires are offered last-child-first, so `[A, A]` completes on the second A; and once a sequence fires, the
//   rest of that step's firings for it are dropped, so the completing event does not also start the next round.
import type { CompositeTrigger, Firing, Trigger } from './schema';
import type { CompositeState, NodeFiring, NodeRef, StepContext, StoredFiring, TriggerState } from './state';
import { childPath, ROOT, triggerId } from './state';
import { formatTime, micros, parseTime } from './time';

/** Returns a new, empty composite state. */
export function emptyCompositeState(): CompositeState {
  return { firings: [] };
}

/** Returns how many child firings `trigger` needs before it fires. */
export function neededFirings(trigger: CompositeTrigger): number {
  if (trigger.type === 'sequence') return trigger.triggers.length;
  if (trigger.require === 'any') return 1;
  if (trigger.require === 'all') return trigger.triggers.length;
  return trigger.require;
}

/**
 * Carries the leaf firings of one step (by leaf path) up through the composites of `trigger` and returns the firings
 * of the root: these are the ones an automation acts on. Only Triggered firings climb; a leaf that is the root
 * returns its firings as they are.
 */
export function propagate(
  trigger: Trigger,
  state: TriggerState,
  leafFirings: NodeFiring[],
  ctx: StepContext,
): Firing[] {
  const byPath = new Map<string, NodeFiring[]>();
  for (const firing of leafFirings) byPath.set(firing.path, [...(byPath.get(firing.path) ?? []), firing]);
  return climb({ path: ROOT, trigger }, state, byPath, ctx).map((firing) => firing.firing);
}

function climb(node: NodeRef, state: TriggerState, byPath: Map<string, NodeFiring[]>, ctx: StepContext): NodeFiring[] {
  const trigger = node.trigger;
  if (trigger.type !== 'compound' && trigger.type !== 'sequence') return byPath.get(node.path) ?? [];

  const composite: NodeRef<CompositeTrigger> = { path: node.path, trigger };
  const children = trigger.triggers.map((child, index) =>
    climb({ path: childPath(node.path, index), trigger: child }, state, byPath, ctx),
  );
  const order = children.map((_, index) => index);
  if (trigger.type === 'sequence') order.reverse();

  const stored = (state.composites[node.path] ??= emptyCompositeState());
  const fired: NodeFiring[] = [];
  for (const index of order) {
    for (const child of children[index] ?? []) {
      if (child.firing.trigger_states[0] !== 'Triggered') continue;
      if (trigger.type === 'sequence' && fired.length > 0) continue;
      const parent = accept(composite, stored, index, child, ctx);
      if (parent) fired.push(parent);
    }
  }
  return fired;
}

/** Offers one child firing to a composite; returns the composite's own firing when this completes it. */
function accept(
  node: NodeRef<CompositeTrigger>,
  stored: CompositeState,
  child: number,
  offered: NodeFiring,
  ctx: StepContext,
): NodeFiring | null {
  const trigger = node.trigger;
  if (neededFirings(trigger) === 1) return parentFiring(node, [offered.firing], offered, ctx);

  if (trigger.within !== null) {
    const newest = Math.max(offered.at, ...stored.firings.map((firing) => parseTime(firing.at)));
    const cutoff = newest - micros(trigger.within);
    stored.firings = stored.firings.filter((firing) => parseTime(firing.at) >= cutoff);
    if (offered.at < cutoff) return null;
  }

  stored.firings = stored.firings.filter((firing) => firing.child !== child);
  stored.firings.push({ child, firing: offered.firing, at: formatTime(offered.at), step: offered.step });
  if (!isReady(trigger, stored.firings)) return null;

  const taken = byTime(stored.firings);
  stored.firings = [];
  return parentFiring(
    node,
    taken.map((firing) => firing.firing),
    offered,
    ctx,
  );
}

function isReady(trigger: CompositeTrigger, firings: StoredFiring[]): boolean {
  if (trigger.type === 'compound') return firings.length >= neededFirings(trigger);
  if (firings.length !== trigger.triggers.length) return false;
  const ordered = byTime(firings);
  return ordered.every((firing, index) => {
    const previous = index === 0 ? undefined : ordered[index - 1];
    return firing.child === index && (previous === undefined || isAfter(firing, previous));
  });
}

function byTime(firings: StoredFiring[]): StoredFiring[] {
  return [...firings].sort((a, b) => parseTime(a.at) - parseTime(b.at) || a.step - b.step || a.child - b.child);
}

function isAfter(firing: StoredFiring, previous: StoredFiring): boolean {
  const delta = parseTime(firing.at) - parseTime(previous.at);
  return delta > 0 || (delta === 0 && firing.step > previous.step);
}

function parentFiring(
  node: NodeRef<CompositeTrigger>,
  firings: Firing[],
  current: NodeFiring,
  ctx: StepContext,
): NodeFiring {
  return {
    path: node.path,
    firing: {
      id: ctx.newId(),
      trigger_id: triggerId(node),
      trigger_states: ['Triggered'],
      triggered: ctx.now,
      triggering_labels: {},
      triggering_firings: firings,
      triggering_event: current.firing.triggering_event,
    },
    at: current.at,
    step: current.step,
  };
}
