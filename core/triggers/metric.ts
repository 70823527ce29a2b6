// Metric triggers, evaluated from the flow-run state events this automation receives (Prefect Cloud computes them
// server-side and publishes no source; the semantics follow its documentation). Mutates the leaf state it is given.
//
// Implementation notes:
// - Recording: an event named `prefect.flow-run.<State>` about a `prefect.flow-run.<id>` resource, passing `match`
//   and `match_related`, appends [State, occurred] to that run's history. Histories are bounded per run and in
//   number (least recently active runs are forgotten first); runs with no state inside `range` are dropped.
// - Values over the last `range` seconds (event-clock time), null when there is nothing to measure:
//   successes = of the runs that went Pending in the window, the fraction whose latest state is not Failed/Crashed;
//   duration  = mean seconds from the last Running to a terminal state (Completed/Failed/Crashed/Cancelled) that
//               happened in the window;
//   lateness  = mean seconds from a Late state to the next Running or Crashed that happened in the window.
// - Firing: the condition (`value <operator> threshold`, never true for null) must hold at every evaluation for
//   `firing_for` before a Triggered firing; once triggered it must fail to hold for `firing_for` before a Resolved
//   firing. Both carry the value as `triggering_value`. Evaluation runs on ticks, at most once a minute.
import type { ReceivedEvent } from '../events/schema';
import { matchRelated, resourceSpecMatches } from '../events/matching';
import type { FiringState, MetricTrigger, MetricTriggerQuery } from './schema';
import type { MetricLeafState, MetricRun, NodeFiring, NodeRef, StepContext } from './state';
import { triggerId } from './state';
import { formatTime, micros, parseTime, SECOND } from './time';

/** How often a metric trigger is evaluated while it has something to measure or a state to leave. */
export const METRIC_INTERVAL = 60 * SECOND;
/** The most flow runs one metric trigger remembers. */
export const MAX_METRIC_RUNS = 1_000;
/** The most states remembered per flow run. */
export const MAX_RUN_STATES = 32;

const STATE_EVENT = 'prefect.flow-run.';
const TERMINAL = new Set(['Completed', 'Failed', 'Crashed', 'Cancelled']);
const UNSUCCESSFUL = new Set(['Failed', 'Crashed']);

/** Returns a new metric leaf state, evaluated as of `now` (wall clock). */
export function emptyMetricState(now: string): MetricLeafState {
  return {
    runs: [],
    triggered: false,
    breaching_since: null,
    healthy_since: null,
    last_value: null,
    last_evaluated: now,
  };
}

/** True when `event` is a flow-run state event this metric trigger measures. */
export function metricCovers(trigger: MetricTrigger, event: ReceivedEvent): boolean {
  const runId = event.resource['prefect.resource.id'] ?? '';
  return (
    event.event.startsWith(STATE_EVENT) &&
    event.event !== `${STATE_EVENT}heartbeat` &&
    runId.startsWith(STATE_EVENT) &&
    resourceSpecMatches(trigger.match, event.resource) &&
    matchRelated(trigger.match_related, event.related)
  );
}

/** Adds a covered flow-run state event to its run's history. */
export function recordMetricEvent(leaf: MetricLeafState, event: ReceivedEvent): void {
  const id = event.resource['prefect.resource.id'] ?? '';
  let run = leaf.runs.find((candidate) => candidate.run === id);
  if (!run) {
    run = { run: id, states: [] };
    leaf.runs.push(run);
  }
  run.states.push([event.event.slice(STATE_EVENT.length), event.occurred]);
  run.states.sort((a, b) => parseTime(a[1]) - parseTime(b[1]));
  if (run.states.length > MAX_RUN_STATES) run.states.splice(0, run.states.length - MAX_RUN_STATES);
  if (leaf.runs.length > MAX_METRIC_RUNS) {
    leaf.runs.sort((a, b) => lastActivity(a) - lastActivity(b));
    leaf.runs.splice(0, leaf.runs.length - MAX_METRIC_RUNS);
  }
}

/** True when the metric leaf wants a tick: it has runs to measure, or a breach or a triggered state to follow. */
export function metricIsActive(leaf: MetricLeafState): boolean {
  return leaf.runs.length > 0 || leaf.triggered || leaf.breaching_since !== null;
}

/** Returns when (wall clock, microseconds) the leaf is next due, or undefined when it has nothing to do. */
export function nextMetricEvaluation(leaf: MetricLeafState): number | undefined {
  if (!metricIsActive(leaf)) return undefined;
  return leaf.last_evaluated === null ? 0 : parseTime(leaf.last_evaluated) + METRIC_INTERVAL;
}

/**
 * Evaluates the metric as of `asOf` (event-clock time) when the leaf is due at wall time `now`, and returns a
 * Triggered or Resolved firing when the state changes.
 */
export function evaluateMetric(
  node: NodeRef<MetricTrigger>,
  leaf: MetricLeafState,
  asOf: number,
  now: number,
  ctx: StepContext,
): NodeFiring[] {
  const due = nextMetricEvaluation(leaf);
  if (due === undefined || now < due) return [];
  const query = node.trigger.metric;
  const windowStart = asOf - micros(query.range);
  leaf.runs = leaf.runs.filter((run) => lastActivity(run) >= windowStart);
  const value = measure(query, leaf.runs, windowStart, asOf);
  leaf.last_value = value;
  leaf.last_evaluated = formatTime(now);

  const holds = value !== null && compare(value, query.operator, query.threshold);
  const firingFor = micros(query.firing_for);
  if (holds) {
    leaf.healthy_since = null;
    leaf.breaching_since ??= formatTime(asOf);
    if (!leaf.triggered && asOf - parseTime(leaf.breaching_since) >= firingFor) {
      leaf.triggered = true;
      return [metricFiring(node, 'Triggered', value, asOf, ctx)];
    }
  } else {
    leaf.breaching_since = null;
    if (!leaf.triggered) {
      leaf.healthy_since = null;
      return [];
    }
    leaf.healthy_since ??= formatTime(asOf);
    if (asOf - parseTime(leaf.healthy_since) >= firingFor) {
      leaf.triggered = false;
      leaf.healthy_since = null;
      return [metricFiring(node, 'Resolved', value, asOf, ctx)];
    }
  }
  return [];
}

/** Returns the metric's value over [start, end], or null when no run contributes to it. */
export function measure(query: MetricTriggerQuery, runs: MetricRun[], start: number, end: number): number | null {
  const samples: number[] = [];
  for (const run of runs) {
    const states = run.states
      .map(([name, occurred]) => ({ name, at: parseTime(occurred) }))
      .filter((state) => state.at <= end);
    switch (query.name) {
      case 'successes': {
        if (!states.some((state) => state.name === 'Pending' && state.at >= start)) break;
        const latest = states[states.length - 1];
        samples.push(latest && UNSUCCESSFUL.has(latest.name) ? 0 : 1);
        break;
      }
      case 'duration':
        samples.push(...spans(states, ['Running'], [...TERMINAL], 'last', start));
        break;
      case 'lateness':
        samples.push(...spans(states, ['Late'], ['Running', 'Crashed'], 'first', start));
        break;
    }
  }
  if (samples.length === 0) return null;
  return samples.reduce((sum, sample) => sum + sample, 0) / samples.length;
}

/**
 * Returns, in seconds, each span from a `from` state to the following `to` state that ended at or after `start`:
 * measured from the latest `from` before it ('last') or from the first `from` since the previous span ('first').
 */
function spans(
  states: { name: string; at: number }[],
  from: string[],
  to: string[],
  anchor: 'first' | 'last',
  start: number,
): number[] {
  const result: number[] = [];
  let opened: number | undefined;
  for (const state of states) {
    if (from.includes(state.name)) {
      if (anchor === 'last' || opened === undefined) opened = state.at;
    } else if (to.includes(state.name) && opened !== undefined) {
      if (state.at >= start) result.push((state.at - opened) / SECOND);
      opened = undefined;
    }
  }
  return result;
}

function compare(value: number, operator: MetricTriggerQuery['operator'], threshold: number): boolean {
  switch (operator) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
  }
}

function lastActivity(run: MetricRun): number {
  const last = run.states[run.states.length - 1];
  return last ? parseTime(last[1]) : Number.NEGATIVE_INFINITY;
}

function metricFiring(
  node: NodeRef<MetricTrigger>,
  state: FiringState,
  value: number | null,
  asOf: number,
  ctx: StepContext,
): NodeFiring {
  return {
    path: node.path,
    firing: {
      id: ctx.newId(),
      trigger_id: triggerId(node),
      trigger_states: [state],
      triggered: ctx.now,
      triggering_labels: {},
      triggering_firings: [],
      triggering_event: null,
      triggering_value: value,
    },
    at: asOf,
    step: ctx.step,
  };
}
