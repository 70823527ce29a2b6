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

/** The workflow type (or function) an entrypoint names: its export, or the whole of a bare workflow type name. */
export function entrypointName(entrypoint: string): string {
  const match = ENTRYPOINT.exec(entrypoint.trim());
  return match ? match[2]! : entrypoint.trim();
}

/** Splits an entrypoint into its file and export name; throws when it does not have the `file:export` shape. */
export function splitEntrypoint(entrypoint: string): { file: string; exportName: string } {
  const match = ENTRYPOINT.exec(entrypoint.trim());
  if (!match) throw new Error(`${ENTRYPOINT_MESSAGE}, got "${entrypoint}"`);
  return { file: match[1]!, exportName: match[2]! };
}

/**
 * Who runs a work pool's flows: `tripwire` (tripwire's pool worker: `npm start` runs the `default` pool, `tripwire
 * worker --pool NAME` any other) or `external` (a Temporal worker of your own, polling the task queue named like the
 * pool; tripwire only starts the runs there and records their states).
 */
export const WORK_POOL_TYPES = ['tripwire', 'external'] as const;
export type WorkPoolType = (typeof WORK_POOL_TYPES)[number];

// prefect.yaml templates write `work_pool: {name: null, work_queue_name: null, job_variables: {}}`; null means default.
const workPoolSchema = z
  .preprocess(
    (pool) => (typeof pool === 'string' ? { name: pool } : (pool ?? {})),
    z.object(
      {
        name: z.string().trim().min(1, 'work_pool must not be empty').nullish(),
        type: z
          .enum(WORK_POOL_TYPES, { error: `work_pool.type must be one of: ${WORK_POOL_TYPES.join(', ')}` })
          .nullish(),
      },
      { error: 'work_pool must be a pool name or {name, type}' },
    ),
  )
  .transform((pool) => ({ name: pool.name ?? 'default', type: pool.type ?? 'tripwire' }));

/**
 * What a deployment's entrypoint names: a Temporal `workflow` function (bundled into the pool worker's workflow
 * sandbox; it may call the activities of the deployment's `activities` module), or a plain async `function` with full
 * Node access, which tripwire runs as one activity of the flow run.
 */
export const ENTRYPOINT_TYPES = ['workflow', 'function'] as const;
export type EntrypointType = (typeof ENTRYPOINT_TYPES)[number];

/** A workflow type your own worker registers (external work pools): an identifier, or `file:export` like entrypoints. */
const WORKFLOW_TYPE = /^[A-Za-z_$][\w$-]*$/;

/** A message for a missing required field; other problems keep zod's own message. */
function required(field: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? `${field} is required` : undefined);
}

/**
 * A deployment as POST /api/deployments and prefect.yaml give it. `parameter_schema` is only checked to be an
 * object here (ajv cannot run in the workflow sandbox); `checkParameterSchema` in services/actions/run-parameters.ts
 * compiles it. `triggers` absent means "leave the deployment's automations alone"; a list (even empty) replaces them.
 * `retries`, `retry_delay_seconds` and `timeout_seconds` are Prefect's flow-decorator names and apply to each run.
 */
export const deploymentSchema = z
  .object({
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
      // Either shape here (so it is reported beside other problems); which one the pool needs is checked below.
      .refine((entrypoint) => ENTRYPOINT.test(entrypoint) || WORKFLOW_TYPE.test(entrypoint), ENTRYPOINT_MESSAGE),
    entrypoint_type: z
      .enum(ENTRYPOINT_TYPES, { error: `entrypoint_type must be one of: ${ENTRYPOINT_TYPES.join(', ')}` })
      .nullish()
      .transform((type) => type ?? 'workflow'),
    activities: z
      .string()
      .trim()
      .min(1, 'activities must not be empty')
      .nullish()
      .transform((file) => file ?? undefined),
    work_pool: workPoolSchema,
    parameters: jsonObject.nullish().transform((parameters) => parameters ?? {}),
    parameter_schema: jsonObject.nullish().transform((schema) => schema ?? undefined),
    tags: z
      .array(z.string())
      .nullish()
      .transform((tags) => tags ?? undefined),
    retries: z
      .number()
      .int('retries must be a whole number')
      .min(0, 'retries must not be negative')
      .max(1000, 'retries must be at most 1000')
      .nullish()
      .transform((retries) => retries ?? 0),
    retry_delay_seconds: z
      .number()
      .min(0, 'retry_delay_seconds must not be negative')
      .nullish()
      .transform((delay) => delay ?? 0),
    timeout_seconds: z
      .number()
      .positive('timeout_seconds must be positive')
      .nullish()
      .transform((timeout) => timeout ?? undefined),
    triggers: z
      .array(deploymentTriggerSchema)
      .nullish()
      .transform((triggers) => triggers ?? undefined),
  })
  .superRefine((deployment, ctx) => {
    const external = deployment.work_pool.type === 'external';
    if (external) {
      if (!ENTRYPOINT.test(deployment.entrypoint) && !WORKFLOW_TYPE.test(deployment.entrypoint))
        ctx.addIssue({
          code: 'custom',
          path: ['entrypoint'],
          message:
            'on an external work pool, entrypoint is the workflow type your worker registers (e.g. "syncOrders")',
        });
      if (deployment.entrypoint_type !== 'workflow')
        ctx.addIssue({
          code: 'custom',
          path: ['entrypoint_type'],
          message: "an external work pool's worker runs workflows: entrypoint_type must be workflow",
        });
      if (deployment.activities !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['activities'],
          message: 'an external work pool registers its own activities; activities is for tripwire work pools',
        });
      return;
    }
    // A bare workflow type passed the field's check, which reported any other shape already.
    if (WORKFLOW_TYPE.test(deployment.entrypoint))
      ctx.addIssue({ code: 'custom', path: ['entrypoint'], message: ENTRYPOINT_MESSAGE });
    if (deployment.entrypoint_type === 'function' && deployment.activities !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['activities'],
        message: 'a function flow calls what it needs directly; activities is for entrypoint_type workflow',
      });
  });

/** A parsed deployment. */
export type DeploymentInput = z.output<typeof deploymentSchema>;
