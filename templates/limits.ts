// Per-render budgets. nunjucks renders synchronously, so a render cannot be interrupted from outside; instead the
// sandbox calls tick() from its hot paths (loop iterations, lookups, calls, filters) and the render throws once the
// deadline has passed. The same state carries the output budget and the render's injectable clock.
import { TemplateError } from './errors';

/** The static limits Prefect applies to user templates (user_templates.py). */
export const MAX_RANGE = 100;
export const MAX_LOOPS = 10;
export const MAX_LOOP_DEPTH = 2;

/** Defaults for the per-render budgets. */
export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/** Budgets and clock for one render. */
export interface RenderLimits {
  timeoutMs: number;
  maxOutputBytes: number;
  /** "Now" for the time filters (humanize_naturaltime, ...). */
  now: Date;
}

interface RenderState {
  readonly limits: RenderLimits;
  readonly deadline: number;
  ticks: number;
  produced: number;
}

// The renders in progress; a stack only so that a filter that renders (none does today) stays correct.
const states: RenderState[] = [];

/** Runs `fn` with `limits` in force for every tick() it causes. */
export function withLimits<T>(limits: RenderLimits, fn: () => T): T {
  states.push({ limits, deadline: performance.now() + limits.timeoutMs, ticks: 0, produced: 0 });
  try {
    return fn();
  } finally {
    states.pop();
  }
}

function active(): RenderState | undefined {
  return states[states.length - 1];
}

/** Counts one unit of work and throws a `limit` TemplateError once the render's time is up. */
export function tick(): void {
  const state = active();
  // Reading the clock costs ~30 ns; every 8th tick keeps the overhead small and the overrun short.
  if (state && (++state.ticks & 7) === 0 && performance.now() > state.deadline) {
    throw new TemplateError('limit', `the template took longer than ${state.limits.timeoutMs} ms to render`);
  }
}

/**
 * Counts `length` characters of produced text (output, captured blocks and macro bodies) and throws once they
 * exceed four times the output budget: that bounds memory long before the final, exact check on the output.
 */
export function produce(length: number): void {
  const state = active();
  if (!state) return;
  state.produced += length;
  if (state.produced > state.limits.maxOutputBytes * 4) throw outputTooLarge(state.limits.maxOutputBytes);
}

/** Throws when a string or list built while rendering is longer than the whole output may be. */
export function checkSize(length: number): void {
  const max = active()?.limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (length > max) throw outputTooLarge(max);
}

/** Returns the TemplateError for output over `maxOutputBytes`. */
export function outputTooLarge(maxOutputBytes: number): TemplateError {
  return new TemplateError('limit', `the template's output is larger than ${maxOutputBytes} bytes`);
}

/** Returns the current render's "now" (the real clock outside a render). */
export function renderNow(): Date {
  return active()?.limits.now ?? new Date();
}
