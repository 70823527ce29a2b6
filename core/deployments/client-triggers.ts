// Deployment triggers for TypeScript users: Prefect's DeploymentEventTrigger & co. as classes whose constructors take
// Prefect's snake_case fields and validate like Prefect's models. Sandbox-safe: no Node built-ins.
//
// Durations follow the TypeScript convention: a number is MILLISECONDS (as in setTimeout), or pass {hours, minutes,
// seconds} or an ISO 8601 string. `toJSON()` emits the REST shape, where durations are seconds. Child triggers of
// compound and sequence triggers are plain trigger objects already in the REST shape (seconds), as Prefect takes them.
import type { ZodType } from 'zod';
import { parseDuration as parseWireDuration } from '../duration';
import {
  type DeploymentCompoundTrigger as CompoundJSON,
  type DeploymentEventTrigger as EventJSON,
  type DeploymentMetricTrigger as MetricJSON,
  type DeploymentSequenceTrigger as SequenceJSON,
  type DeploymentTriggerFields,
  deploymentCompoundTriggerSchema,
  deploymentEventTriggerSchema,
  deploymentMetricTriggerSchema,
  deploymentSequenceTriggerSchema,
} from './schema';

/** A duration: milliseconds, a `{days, hours, minutes, seconds}` object, or ISO 8601 / `HH:MM:SS` text. */
export type DurationInput = number | { days?: number; hours?: number; minutes?: number; seconds?: number } | string;

const UNIT_SECONDS = { days: 86_400, hours: 3_600, minutes: 60, seconds: 1 } as const;

/**
 * Returns `value` in seconds (the REST unit). Numbers are milliseconds. Throws a TypeError for anything else, for
 * unknown object keys (`{hour: 1}`), numeric strings (ambiguous units), and negative or non-finite durations.
 */
export function parseDuration(value: DurationInput): number {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value / 1000;
  else if (typeof value === 'string') seconds = parseWireDuration(value);
  else if (value !== null && typeof value === 'object') {
    seconds = 0;
    for (const [unit, amount] of Object.entries(value)) {
      if (!Object.hasOwn(UNIT_SECONDS, unit)) throw new TypeError(`unknown duration unit "${unit}"`);
      if (typeof amount !== 'number') throw new TypeError(`duration ${unit} must be a number`);
      seconds += amount * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
    }
  }
  if (seconds === undefined || !Number.isFinite(seconds)) {
    throw new TypeError(
      `${JSON.stringify(value)} is not a duration: use milliseconds, {hours, minutes, seconds} or ISO 8601`,
    );
  }
  if (seconds < 0) throw new TypeError(`${JSON.stringify(value)} is a negative duration`);
  return seconds;
}

/** A label (or list of alternatives) per label name, as in `match` and `match_related`. */
export type ResourceSpec = Record<string, string | string[]>;

/** The automation and action fields every deployment trigger takes. */
export interface DeploymentTriggerOptions {
  /** Default: `<deployment>__automation_<i>`. */
  name?: string | null;
  description?: string;
  enabled?: boolean;
  /** Run parameters; templates such as `"{{ event }}"` render when the trigger fires. Default: the deployment's. */
  parameters?: Record<string, unknown> | null;
  job_variables?: Record<string, unknown> | null;
  /** Delay before the run is due. */
  schedule_after?: DurationInput;
}

/** Thrown by a trigger constructor when the fields are not a valid Prefect trigger; lists every problem. */
export class TriggerValidationError extends TypeError {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; '));
    this.name = 'TriggerValidationError';
  }
}

const optionalSeconds = (value: DurationInput | undefined) => (value === undefined ? undefined : parseDuration(value));

function validated<T>(schema: ZodType<T>, wire: Record<string, unknown>): T {
  // Drop absent fields so the schema applies Prefect's defaults to them.
  const present = Object.fromEntries(Object.entries(wire).filter(([, value]) => value !== undefined));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new TriggerValidationError(result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
}

function deploymentWire(options: DeploymentTriggerOptions): Record<string, unknown> {
  const { name, description, enabled, parameters, job_variables, schedule_after } = options;
  return { name, description, enabled, parameters, job_variables, schedule_after: optionalSeconds(schedule_after) };
}

/** The automation and action fields, validated; `name` may be set after construction, as in Prefect. */
abstract class DeploymentTriggerBase {
  name: string | null;
  readonly description: string;
  readonly enabled: boolean;
  readonly parameters: Record<string, unknown> | null;
  readonly job_variables: Record<string, unknown> | null;
  /** Seconds. */
  readonly schedule_after: number;

  protected constructor(fields: DeploymentTriggerFields) {
    this.name = fields.name;
    this.description = fields.description;
    this.enabled = fields.enabled;
    this.parameters = fields.parameters;
    this.job_variables = fields.job_variables;
    this.schedule_after = fields.schedule_after;
  }

  protected deploymentFields(): DeploymentTriggerFields {
    const { name, description, enabled, parameters, job_variables, schedule_after } = this;
    return { name, description, enabled, parameters, job_variables, schedule_after };
  }
}

/** Fields of {@link DeploymentEventTrigger}. */
export interface DeploymentEventTriggerOptions extends DeploymentTriggerOptions {
  match?: ResourceSpec;
  match_related?: ResourceSpec | ResourceSpec[];
  after?: Iterable<string>;
  expect?: Iterable<string>;
  for_each?: Iterable<string>;
  posture?: 'Reactive' | 'Proactive';
  threshold?: number;
  within?: DurationInput;
}

/** Runs the deployment when events arrive (Reactive) or fail to arrive (Proactive); Prefect's class of that name. */
export class DeploymentEventTrigger extends DeploymentTriggerBase {
  readonly type = 'event';
  readonly match: EventJSON['match'];
  readonly match_related: EventJSON['match_related'];
  readonly after: string[];
  readonly expect: string[];
  readonly for_each: string[];
  readonly posture: 'Reactive' | 'Proactive';
  readonly threshold: number;
  /** Seconds. */
  readonly within: number;

  constructor(options: DeploymentEventTriggerOptions = {}) {
    const { match, match_related, after, expect, for_each, posture, threshold, within } = options;
    const spec = validated(deploymentEventTriggerSchema, {
      ...deploymentWire(options),
      type: 'event',
      match,
      match_related,
      after: after && [...after],
      expect: expect && [...expect],
      for_each: for_each && [...for_each],
      posture,
      threshold,
      within: optionalSeconds(within),
    });
    super(spec);
    ({
      match: this.match,
      match_related: this.match_related,
      after: this.after,
      expect: this.expect,
      for_each: this.for_each,
      posture: this.posture,
      threshold: this.threshold,
      within: this.within,
    } = spec);
  }

  /** Returns the trigger as POST /api/deployments takes it (durations in seconds). */
  toJSON(): EventJSON {
    const { type, match, match_related, after, expect, for_each, posture, threshold, within } = this;
    return {
      type,
      match,
      match_related,
      after,
      expect,
      for_each,
      posture,
      threshold,
      within,
      ...this.deploymentFields(),
    };
  }
}

/** Fields of {@link DeploymentMetricTrigger}; `range` and `firing_for` default to, and may not be under, 5 minutes. */
export interface DeploymentMetricTriggerOptions extends DeploymentTriggerOptions {
  match?: ResourceSpec;
  match_related?: ResourceSpec | ResourceSpec[];
  metric: {
    name: 'successes' | 'duration' | 'lateness';
    threshold: number;
    operator: '<' | '<=' | '>' | '>=';
    range?: DurationInput;
    firing_for?: DurationInput;
  };
}

/** Runs the deployment while a flow-run metric breaches its threshold (Prefect Cloud's metric trigger). */
export class DeploymentMetricTrigger extends DeploymentTriggerBase {
  readonly type = 'metric';
  readonly posture = 'Metric';
  readonly match: MetricJSON['match'];
  readonly match_related: MetricJSON['match_related'];
  /** `range` and `firing_for` in seconds. */
  readonly metric: MetricJSON['metric'];

  constructor(options: DeploymentMetricTriggerOptions) {
    const { match, match_related, metric } = options;
    const spec = validated(deploymentMetricTriggerSchema, {
      ...deploymentWire(options),
      type: 'metric',
      match,
      match_related,
      metric: metric && {
        ...metric,
        range: optionalSeconds(metric.range),
        firing_for: optionalSeconds(metric.firing_for),
      },
    });
    super(spec);
    ({ match: this.match, match_related: this.match_related, metric: this.metric } = spec);
  }

  /** Returns the trigger as POST /api/deployments takes it (durations in seconds). */
  toJSON(): MetricJSON {
    const { type, posture, match, match_related, metric } = this;
    return { type, posture, match, match_related, metric, ...this.deploymentFields() };
  }
}

/** A child of a compound or sequence trigger: a plain trigger in the REST shape (durations in seconds). */
export type ChildTrigger = Record<string, unknown>;

const compositeWithin = (within: DurationInput | null | undefined) =>
  within === null ? null : optionalSeconds(within);

/** Fields of {@link DeploymentCompoundTrigger}. */
export interface DeploymentCompoundTriggerOptions extends DeploymentTriggerOptions {
  triggers: ChildTrigger[];
  require: number | 'any' | 'all';
  /** Null or absent: no time limit. */
  within?: DurationInput | null;
}

/** Runs the deployment when `require` of its child triggers have fired within `within`. */
export class DeploymentCompoundTrigger extends DeploymentTriggerBase {
  readonly type = 'compound';
  /** The children, parsed: durations in seconds. */
  readonly triggers: CompoundJSON['triggers'];
  readonly require: number | 'any' | 'all';
  /** Seconds, or null for no limit. */
  readonly within: number | null;

  constructor(options: DeploymentCompoundTriggerOptions) {
    const spec = validated(deploymentCompoundTriggerSchema, {
      ...deploymentWire(options),
      type: 'compound',
      triggers: options.triggers,
      require: options.require,
      within: compositeWithin(options.within),
    });
    super(spec);
    ({ triggers: this.triggers, require: this.require, within: this.within } = spec);
  }

  /** Returns the trigger as POST /api/deployments takes it (durations in seconds). */
  toJSON(): CompoundJSON {
    const { type, triggers, require, within } = this;
    return { type, triggers, require, within, ...this.deploymentFields() };
  }
}

/** Fields of {@link DeploymentSequenceTrigger}. */
export interface DeploymentSequenceTriggerOptions extends DeploymentTriggerOptions {
  triggers: ChildTrigger[];
  /** Null or absent: no time limit. */
  within?: DurationInput | null;
}

/** Runs the deployment when its child triggers have fired in the declared order within `within`. */
export class DeploymentSequenceTrigger extends DeploymentTriggerBase {
  readonly type = 'sequence';
  /** The children, parsed: durations in seconds. */
  readonly triggers: SequenceJSON['triggers'];
  /** Seconds, or null for no limit. */
  readonly within: number | null;

  constructor(options: DeploymentSequenceTriggerOptions) {
    const spec = validated(deploymentSequenceTriggerSchema, {
      ...deploymentWire(options),
      type: 'sequence',
      triggers: options.triggers,
      within: compositeWithin(options.within),
    });
    super(spec);
    ({ triggers: this.triggers, within: this.within } = spec);
  }

  /** Returns the trigger as POST /api/deployments takes it (durations in seconds). */
  toJSON(): SequenceJSON {
    const { type, triggers, within } = this;
    return { type, triggers, within, ...this.deploymentFields() };
  }
}
