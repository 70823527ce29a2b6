// A deployment as Prefect's REST API and prefect.yaml describe it, and the deployment triggers that become the
// automations it owns (Prefect §6). Sandbox-safe: pure zod, no Node built-ins, so workflows may import the types.
import { z } from 'zod';
import { parseDuration } from '../duration';
import {
  type CompoundTrigger,
  type EventTrigger,
  type MetricTrigger,
  type SequenceTrigger,
  type Trigger,
  triggerSchema,
} from '../triggers/schema';

/** The fields a deployment trigger adds to a plain trigger: the automation's and the run-deployment action's. */
export interface DeploymentTriggerFields {
  /** The automation's name; null until `deploymentTriggersToAutomations` gives it `<deployment>__automation_<i>`. */
  name: string | null;
  description: string;
  enabled: boolean;
  /** Run parameters, kept verbatim (templates included); null runs with the deployment's defaults. */
  parameters: Record<string, unknown> | null;
  /** Passed to the run unrendered. */
  job_variables: Record<string, unknown> | null;
  /** Seconds between the action running and the flow run being due. */
  schedule_after: number;
}

/** Prefect's `DeploymentEventTrigger`. */
export type DeploymentEventTrigger = EventTrigger & DeploymentTriggerFields;
/** Prefect's `DeploymentMetricTrigger`. */
export type DeploymentMetricTrigger = MetricTrigger & DeploymentTriggerFields;
/** Prefect's `DeploymentCompoundTrigger`; its child triggers are plain triggers. */
export type DeploymentCompoundTrigger = CompoundTrigger & DeploymentTriggerFields;
/** Prefect's `DeploymentSequenceTrigger`; its child triggers are plain triggers. */
export type DeploymentSequenceTrigger = SequenceTrigger & DeploymentTriggerFields;
/** Any deployment trigger, as parsed: durations in seconds, `type` always set. */
export type DeploymentTrigger =
  DeploymentEventTrigger | DeploymentMetricTrigger | DeploymentCompoundTrigger | DeploymentSequenceTrigger;

const jsonObject = z.record(z.string(), z.unknown());

/**
 * `schedule_after` as pydantic reads a non-negative timedelta: seconds as a number, ISO 8601 (`PT2H`) or
 * `[D day[s], ]HH:MM:SS` text. A numeric string such as "3600" is rejected, as current pydantic rejects it.
 */
export const scheduleAfterSchema = z.unknown().transform((value, ctx): number => {
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    const hint = typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? ' (write seconds as a number)' : '';
    ctx.addIssue({
      code: 'custom',
      message: `schedule_after should be a valid duration: seconds, ISO 8601 (PT2H) or HH:MM:SS${hint}`,
    });
    return z.NEVER;
  }
  if (seconds < 0) {
    ctx.addIssue({ code: 'custom', message: 'schedule_after must be non-negative' });
    return z.NEVER;
  }
  return seconds;
});

// Unknown keys are dropped, as Prefect's deployment triggers ignore extras; the trigger half drops them too.
const deploymentFieldsSchema = z.object({
  name: z
    .string()
    .nullish()
    .transform((name) => name ?? null),
  description: z
    .string()
    .nullish()
    .transform((description) => description ?? ''),
  enabled: z.boolean().default(true),
  // z.record copies the top-level object but never looks inside values, so templates survive untouched.
  parameters: jsonObject.nullish().transform((parameters) => parameters ?? null),
  job_variables: jsonObject.nullish().transform((variables) => variables ?? null),
  schedule_after: scheduleAfterSchema.default(0),
});

/**
 * Any deployment trigger. Without `type`, the shape decides as in Prefect: `triggers` with `require` is compound,
 * `triggers` alone a sequence, posture Metric a metric trigger, anything else an event trigger.
 */
export const deploymentTriggerSchema: z.ZodType<DeploymentTrigger> = z.intersection(
  triggerSchema,
  deploymentFieldsSchema,
);

function ofType<T extends Trigger['type']>(type: T) {
  // Prefect's concrete classes default `type`, so `DeploymentEventTrigger.model_validate({})` is an event trigger.
  return z.preprocess(
    (value) =>
      value !== null && typeof value === 'object' && !Array.isArray(value) && !('type' in value)
        ? { ...value, type }
        : value,
    z.intersection(z.object({ type: z.literal(type) }), deploymentTriggerSchema),
  );
}

/** One kind of deployment trigger; `type` defaults to that kind and any other `type` is rejected. */
export const deploymentEventTriggerSchema: z.ZodType<DeploymentEventTrigger> = ofType('event');
/** See {@link deploymentEventTriggerSchema}. */
export const deploymentMetricTriggerSchema: z.ZodType<DeploymentMetricTrigger> = ofType('metric');
/** See {@link deploymentEventTriggerSchema}. */
export const deploymentCompoundTriggerSchema: z.ZodType<DeploymentCompoundTrigger> = ofType('compound');
/** See {@link deploymentEventTriggerSchema}. */
export const deploymentSequenceTriggerSchema: z.ZodType<DeploymentSequenceTrigger> = ofType('sequence');

/** `path/to/flow.ts:exportedFn`: everything before the last colon is the file (Windows drive letters included). */
const ENTRYPOINT = /^(.+):([A-Za-z_$][\w$]*)$/;
const ENTRYPOINT_MESSAGE = 'entrypoint must look like "path/to/flow.ts:exportedFn" (a file, a colon, an export name)';

/** Splits an entrypoint into its file and export name; throws when it does not have the `file:export` shape. */
export function splitEntrypoint(entrypoint: string): { file: string; exportName: string } {
  const match = ENTRYPOINT.exec(entrypoint.trim());
  if (!match) throw new Error(`${ENTRYPOINT_MESSAGE}, got "${entrypoint}"`);
  return { file: match[1]!, exportName: match[2]! };
}

// prefect.yaml templates write `work_pool: {name: null, work_queue_name: null, job_variables: {}}`; null means default.
const workPoolSchema = z
  .union([
    z.string().trim().min(1, 'work_pool must not be empty'),
    z.object({ name: z.string().trim().min(1, 'work_pool.name must not be empty').nullish() }),
  ])
  .nullish()
  .transform((pool) => ({ name: (typeof pool === 'string' ? pool : pool?.name) ?? 'default' }));

/** A message for a missing required field; other problems keep zod's own message. */
function required(field: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? `${field} is required` : undefined);
}

/**
 * A deployment as POST /api/deployments and prefect.yaml give it. `parameter_schema` is only checked to be an
 * object here (ajv cannot run in the workflow sandbox); `checkParameterSchema` in services/actions/run-parameters.ts compiles
 * it. `triggers` absent means "leave the deployment's automations alone"; a list (even empty) replaces them.
 */
export const deploymentSchema = z.object({
  name: z
    .string({ error: required('name') })
    .trim()
    .min(1, 'name must not be empty'),
  description: z
    .string()
    .nullish()
    .transform((description) => description ?? ''),
  entrypoint: z
    .string({ error: required('entrypoint') })
    .trim()
    .regex(ENTRYPOINT, ENTRYPOINT_MESSAGE),
  work_pool: workPoolSchema,
  parameters: jsonObject.nullish().transform((parameters) => parameters ?? {}),
  parameter_schema: jsonObject.nullish().transform((schema) => schema ?? undefined),
  tags: z
    .array(z.string())
    .nullish()
    .transform((tags) => tags ?? undefined),
  triggers: z
    .array(deploymentTriggerSchema)
    .nullish()
    .transform((triggers) => triggers ?? undefined),
});

/** A parsed deployment. */
export type DeploymentInput = z.output<typeof deploymentSchema>;
