// Prefect's trigger shapes (event, metric, compound, sequence) as zod schemas, so Prefect definitions work unchanged,
// plus the Firing a trigger produces. Durations are normalised to seconds; messages are Prefect's own.
import { z } from 'zod';
import type { ResourceSpecification } from '../events/matching';
import type { ReceivedEvent } from '../events/schema';
import { parseDuration } from '../duration';

/** An event trigger: fires on the presence (Reactive) or absence (Proactive) of matching events. */
export interface EventTrigger {
  type: 'event';
  id?: string;
  match: ResourceSpecification;
  match_related: ResourceSpecification | ResourceSpecification[];
  after: string[];
  expect: string[];
  for_each: string[];
  posture: 'Reactive' | 'Proactive';
  threshold: number;
  /** Seconds. */
  within: number;
}

/** The query of a metric trigger; `range` and `firing_for` are seconds. */
export interface MetricTriggerQuery {
  name: 'successes' | 'duration' | 'lateness';
  threshold: number;
  operator: '<' | '<=' | '>' | '>=';
  range: number;
  firing_for: number;
}

/** A metric trigger: fires while a flow-run metric breaches its threshold, resolves when it stops. */
export interface MetricTrigger {
  type: 'metric';
  id?: string;
  posture: 'Metric';
  match: ResourceSpecification;
  match_related: ResourceSpecification | ResourceSpecification[];
  metric: MetricTriggerQuery;
}

/** Fires when `require` of its child triggers have fired within `within` seconds (null: no limit). */
export interface CompoundTrigger {
  type: 'compound';
  id?: string;
  triggers: Trigger[];
  require: number | 'any' | 'all';
  within: number | null;
}

/** Fires when all its child triggers have fired in the declared order within `within` seconds (null: no limit). */
export interface SequenceTrigger {
  type: 'sequence';
  id?: string;
  triggers: Trigger[];
  within: number | null;
}

/** Any trigger, as stored and evaluated. */
export type Trigger = EventTrigger | MetricTrigger | CompoundTrigger | SequenceTrigger;
/** A trigger with child triggers. */
export type CompositeTrigger = CompoundTrigger | SequenceTrigger;

/** The state change a firing represents: Triggered, or (metric triggers) Resolved. */
export type FiringState = 'Triggered' | 'Resolved';

/** One firing of a trigger (a leaf or a composite); JSON only, so it can cross Temporal boundaries. */
export interface Firing {
  id: string;
  trigger_id: string;
  /** Exactly one state; a one-element tuple of the union, so `trigger_states.includes('Resolved')` type-checks. */
  trigger_states: [FiringState];
  /** When the engine fired: its `now` input, not an event time. */
  triggered: string;
  /** The for_each labels of the bucket that fired; empty for composites. */
  triggering_labels: Record<string, string>;
  /** The child firings that completed a composite trigger. */
  triggering_firings: Firing[];
  triggering_event: ReceivedEvent | null;
  /** The last metric value, for metric triggers. */
  triggering_value?: unknown;
}

const TIMEDELTA_ERROR = 'Input should be a valid timedelta: seconds, ISO 8601 (PT10M, P1D) or HH:MM:SS';
const NON_NEGATIVE = 'Input should be greater than or equal to 0 seconds';
const PROACTIVE_MINIMUM = '`within` for Proactive triggers must be greater than or equal to 10 seconds';
const METRIC_MINIMUM = 'The minimum range is 300 seconds (5 minutes)';

/** A duration in any form pydantic accepts, as seconds; `field` names it in Prefect's message for an explicit null. */
function durationSchema(field: string) {
  return z.unknown().transform((value, ctx): number => {
    const seconds = parseDuration(value);
    if (seconds !== undefined) return seconds;
    ctx.addIssue({
      code: 'custom',
      message: value === null ? `\`${field}\` should be a valid timedelta` : TIMEDELTA_ERROR,
    });
    return z.NEVER;
  });
}

const labelValueSchema = z.union([z.string(), z.array(z.string())]);
const resourceSpecificationSchema: z.ZodType<ResourceSpecification> = z.record(z.string(), labelValueSchema);
const nameSetSchema = z
  .array(z.string())
  .default([])
  .transform((names) => [...new Set(names)]);

const resourceFields = {
  id: z.string().min(1).optional(),
  match: resourceSpecificationSchema.default({}),
  match_related: z.union([resourceSpecificationSchema, z.array(resourceSpecificationSchema)]).default({}),
};

const eventTriggerSchema = z
  .object({
    ...resourceFields,
    type: z.literal('event'),
    after: nameSetSchema,
    expect: nameSetSchema,
    for_each: nameSetSchema,
    // The server requires a posture; the client (and deployment triggers) default to Reactive. We accept both.
    posture: z.enum(['Reactive', 'Proactive']).default('Reactive'),
    threshold: z.number().int().default(1),
    within: durationSchema('within').optional(),
  })
  .transform((trigger, ctx): EventTrigger => {
    const { id, within, ...rest } = trigger;
    let seconds = within ?? 0;
    if (trigger.posture === 'Proactive') {
      // Prefect's model validator: a Proactive trigger without a window watches 10-second windows.
      if (seconds === 0) seconds = 10;
      else if (seconds < 10) ctx.addIssue({ code: 'custom', path: ['within'], message: PROACTIVE_MINIMUM });
    } else if (seconds < 0) {
      ctx.addIssue({ code: 'custom', path: ['within'], message: NON_NEGATIVE });
    }
    return { ...(id === undefined ? {} : { id }), ...rest, within: seconds };
  });

const metricDuration = (field: string) =>
  durationSchema(field)
    .default(300)
    .refine((seconds) => seconds >= 300, METRIC_MINIMUM);

const metricTriggerSchema = z
  .object({
    ...resourceFields,
    type: z.literal('metric'),
    posture: z.literal('Metric').default('Metric'),
    metric: z.object({
      name: z.enum(['successes', 'duration', 'lateness']),
      threshold: z.number(),
      operator: z.enum(['<', '<=', '>', '>=']),
      range: metricDuration('range'),
      firing_for: metricDuration('firing_for'),
    }),
  })
  .transform(({ id, ...rest }): MetricTrigger => ({ ...(id === undefined ? {} : { id }), ...rest }));

const compositeWithinSchema = z.union([z.null(), durationSchema('within')]).default(null);

const compoundTriggerSchema = z
  .object({
    id: z.string().min(1).optional(),
    type: z.literal('compound'),
    triggers: z.array(z.lazy(() => triggerSchema)),
    require: z.union([z.number().int(), z.literal('any'), z.literal('all')]),
    within: compositeWithinSchema,
  })
  .transform(({ id, ...rest }, ctx): CompoundTrigger => {
    if (typeof rest.require === 'number') {
      if (rest.require < 1) ctx.addIssue({ code: 'custom', path: ['require'], message: 'require must be at least 1' });
      else if (rest.require > rest.triggers.length)
        ctx.addIssue({
          code: 'custom',
          path: ['require'],
          message: 'require must be less than or equal to the number of triggers',
        });
    }
    return { ...(id === undefined ? {} : { id }), ...rest };
  });

const sequenceTriggerSchema = z
  .object({
    id: z.string().min(1).optional(),
    type: z.literal('sequence'),
    triggers: z.array(z.lazy(() => triggerSchema)),
    within: compositeWithinSchema,
  })
  .transform(({ id, ...rest }): SequenceTrigger => ({ ...(id === undefined ? {} : { id }), ...rest }));

/**
 * Prefect's client discriminator for a trigger without `type`: `triggers` with `require` is compound, `triggers`
 * alone is a sequence, posture Metric is a metric trigger, anything else an event trigger.
 */
function withType(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || 'type' in value) return value;
  const fields = value as Record<string, unknown>;
  if ('triggers' in fields) return { ...fields, type: 'require' in fields ? 'compound' : 'sequence' };
  return { ...fields, type: fields.posture === 'Metric' ? 'metric' : 'event' };
}

/** Any trigger in Prefect's JSON shape; the parsed value has every duration in seconds. */
export const triggerSchema: z.ZodType<Trigger> = z.preprocess(
  withType,
  z.discriminatedUnion('type', [eventTriggerSchema, metricTriggerSchema, compoundTriggerSchema, sequenceTriggerSchema]),
);

/**
 * Returns a copy of `trigger` in which every node has a fresh id from `newId` (pre-order), as Prefect resets ids on
 * every create and update.
 */
export function assignTriggerIds<T extends Trigger>(trigger: T, newId: () => string): T {
  const id = newId();
  if (trigger.type === 'compound' || trigger.type === 'sequence') {
    return { ...trigger, id, triggers: trigger.triggers.map((child) => assignTriggerIds(child, newId)) };
  }
  return { ...trigger, id };
}
