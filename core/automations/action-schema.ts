// Prefect's action shapes that tripwire runs. Unknown types are rejected with the list of known ones.
import { z } from 'zod';
import { derivedId } from '../ids';
import { parseDurationSeconds } from '../duration';

const source = z.enum(['selected', 'inferred']).default('selected');
const jsonObject = z.record(z.string(), z.unknown());

/** A duration in seconds: a number, or ISO 8601 / HH:MM:SS text. Numeric strings are rejected, as in Prefect. */
export const nonNegativeDuration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'a number of seconds must be a JSON number, not a string' });
    return z.NEVER;
  }
  let seconds: number;
  try {
    seconds = parseDurationSeconds(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
  if (seconds < 0) {
    ctx.addIssue({ code: 'custom', message: 'schedule_after must be non-negative' });
    return z.NEVER;
  }
  return seconds;
});

export const runDeploymentActionSchema = z
  .object({
    type: z.literal('run-deployment'),
    source,
    deployment_id: z.string().min(1).nullish(),
    parameters: jsonObject.nullish(),
    job_variables: jsonObject.nullish(),
    schedule_after: nonNegativeDuration.default(0),
  })
  .superRefine((action, ctx) => {
    if (action.source === 'selected' && !action.deployment_id) {
      ctx.addIssue({ code: 'custom', path: ['deployment_id'], message: 'deployment_id is required' });
    }
    if (action.source === 'inferred' && action.deployment_id) {
      ctx.addIssue({ code: 'custom', path: ['deployment_id'], message: 'deployment_id is not allowed' });
    }
  });

const automationTarget = (type: 'pause-automation' | 'resume-automation') =>
  z.object({ type: z.literal(type), source, automation_id: z.string().min(1).nullish() }).superRefine((action, ctx) => {
    if (action.source === 'selected' && !action.automation_id) {
      ctx.addIssue({ code: 'custom', path: ['automation_id'], message: 'automation_id is required' });
    }
    if (action.source === 'inferred' && action.automation_id) {
      ctx.addIssue({ code: 'custom', path: ['automation_id'], message: 'automation_id is not allowed' });
    }
  });

const NO_BLOCKS =
  "url is required: tripwire has no blocks, so a call-webhook action names the webhook's url (with method and " +
  'headers) itself rather than by block_document_id';

export const callWebhookActionSchema = z
  .object({
    type: z.literal('call-webhook'),
    url: z.url({
      protocol: /^https?$/,
      error: (issue) => (issue.input === undefined ? NO_BLOCKS : 'url must be an http(s) URL'),
    }),
    method: z.enum(['POST', 'PUT', 'PATCH', 'GET', 'DELETE']).default('POST'),
    headers: z.record(z.string(), z.string()).default({}),
    /** A template rendered with the firing's context; sent as the request body. */
    payload: z.string().default(''),
    timeout_seconds: z.number().positive().max(60).default(10),
    block_document_id: z.uuid().optional(),
  })
  // Prefect's client requires a block id on every call-webhook action it reads, so a list of automations with one
  // would not parse there; an action without one gets an id derived from its target.
  .transform((action) => ({
    ...action,
    block_document_id: action.block_document_id ?? derivedId('call-webhook', action.method, action.url),
  }));

export const ACTION_TYPES = [
  'run-deployment',
  'do-nothing',
  'pause-automation',
  'resume-automation',
  'cancel-flow-run',
  'call-webhook',
] as const;

const knownAction = z.discriminatedUnion('type', [
  runDeploymentActionSchema,
  z.object({ type: z.literal('do-nothing') }),
  automationTarget('pause-automation'),
  automationTarget('resume-automation'),
  z.object({ type: z.literal('cancel-flow-run') }),
  callWebhookActionSchema,
]);

/** Any action; the type is checked first so an unknown one gets a message that lists the known ones. */
export const actionSchema = z
  .looseObject({ type: z.string({ message: 'type is required' }) })
  .superRefine((action, ctx) => {
    if (!(ACTION_TYPES as readonly string[]).includes(action.type)) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `unknown action type "${action.type}"; tripwire runs ${ACTION_TYPES.join(', ')}`,
      });
    }
  })
  .pipe(knownAction);

export type Action = z.infer<typeof knownAction>;
export type RunDeploymentAction = z.infer<typeof runDeploymentActionSchema>;
export type CallWebhookAction = z.infer<typeof callWebhookActionSchema>;
