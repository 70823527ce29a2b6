// Prefect's event shapes (server `src/prefect/server/events/schemas/events.py`): what tripwire accepts at its edges
// and passes between workflows. Values are JSON only (times are ISO strings) because events cross Temporal boundaries.
//
// Implementation notes (each rule from Prefect's events.py, its settings and `tests/events/server/test_*schema.py`):
// - A resource is a flat map of string labels; null, numbers and booleans are rejected. `prefect.resource.id` is
//   required and non-empty everywhere, `prefect.resource.role` on related resources. At most 500 labels per
//   resource, the id counted (PREFECT_EVENTS_MAXIMUM_LABELS_PER_RESOURCE), at most 100 related resources
//   (PREFECT_EVENTS_MAXIMUM_RELATED_RESOURCES), event names at most 1024 characters counted as Python counts them,
//   in code points (PREFECT_SERVER_EVENTS_MAXIMUM_EVENT_NAME_LENGTH).
// - An event whose compact JSON exceeds 1,500,000 UTF-8 bytes is refused (PREFECT_EVENTS_MAXIMUM_SIZE_BYTES; the
//   SDK raises EventTooLarge, the server drops it silently; tripwire tells the sender instead).
// - Differences from Prefect, on purpose: an empty event name is refused (no trigger could ever match it, Prefect's
//   `.+` event regex needs a character); `id` and `occurred` may be omitted on input and are filled by the caller.
//   Event names and resource ids (primary and related), which the databases index, are limited to 2048 bytes of
//   UTF-8 as well (PostgreSQL's btree refuses an entry over 2,704 bytes, so 1024 incompressible 4-byte characters
//   failed as a server error there), and no name, label or label value may hold U+0000 (PostgreSQL's text cannot).
// - Unknown fields (e.g. a client-sent `received`) are dropped, as ReceivedEvent's `extra="ignore"` drops them.
//   zod also drops a label literally named `__proto__`, which cannot be an own property of a plain object.
import { z } from 'zod';
import { normaliseUuid } from '../ids';
import { normaliseTimestamp } from './timestamp';
import { RESOURCE_ID_LABEL, RESOURCE_ROLE_LABEL } from '../resources';

/** Size limits applied by `makeEventSchemas`; Prefect's settings of the same meaning are in the module notes. */
export interface EventLimits {
  maxEventNameLength: number;
  maxLabelsPerResource: number;
  maxRelatedResources: number;
  maxEventBytes: number;
}

/** Prefect's default limits. */
export const DEFAULT_EVENT_LIMITS: Readonly<EventLimits> = Object.freeze({
  maxEventNameLength: 1024,
  maxLabelsPerResource: 500,
  maxRelatedResources: 100,
  maxEventBytes: 1_500_000,
});

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Returns a zod error function: 'Required' for a missing value, else "Expected <what>, not <kind of value>". */
function expected(what: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'Required' : `Expected ${what}, not ${describeValue(issue.input)}`;
}

/** Longest event name and resource id, in bytes of UTF-8: both are indexed columns (see the module notes). */
export const MAX_INDEXED_BYTES = 2048;

const NUL = '\u0000';
const NO_NUL = 'Must not contain the NUL character (U+0000)';

function requireLabel(labels: Record<string, string>, label: string, ctx: z.RefinementCtx): void {
  if (!Object.prototype.hasOwnProperty.call(labels, label)) {
    ctx.addIssue({ code: 'custom', path: [label], message: 'Required' });
  } else if (labels[label] === '') {
    ctx.addIssue({ code: 'custom', path: [label], message: 'Must not be empty' });
  }
}

/** Adds an issue when `value` (an indexed column) is over MAX_INDEXED_BYTES of UTF-8. */
function limitIndexedBytes(value: string, what: string, path: PropertyKey[], ctx: z.RefinementCtx): void {
  if (value.length * 3 <= MAX_INDEXED_BYTES) return;
  const bytes = utf8Length(value);
  if (bytes > MAX_INDEXED_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `${what} is ${bytes} bytes of UTF-8, over the limit of ${MAX_INDEXED_BYTES}`,
    });
  }
}

/** Adds an issue for each label name or value that holds U+0000, and for a resource id over the byte limit. */
function checkStoredLabels(labels: Record<string, string>, ctx: z.RefinementCtx): void {
  for (const [name, value] of Object.entries(labels)) {
    if (name.includes(NUL) || value.includes(NUL)) ctx.addIssue({ code: 'custom', path: [name], message: NO_NUL });
  }
  const id = labels[RESOURCE_ID_LABEL];
  if (id !== undefined) limitIndexedBytes(id, 'resource id', [RESOURCE_ID_LABEL], ctx);
}

/** Returns the `Resource` and `RelatedResource` schemas for a label limit. */
function makeResourceSchemas(maxLabels: number) {
  const labelValue = z.string({
    error: (issue) => `Label "${String(issue.path?.at(-1))}" must be a string, not ${describeValue(issue.input)}`,
  });
  const resource = z
    .record(z.string(), labelValue, { error: expected('an object of string labels') })
    .superRefine((labels, ctx) => {
      const count = Object.keys(labels).length;
      if (count > maxLabels) {
        ctx.addIssue({ code: 'custom', message: `resource has ${count} labels, over the limit of ${maxLabels}` });
      }
      requireLabel(labels, RESOURCE_ID_LABEL, ctx);
      checkStoredLabels(labels, ctx);
    })
    .describe('A resource: string labels, including a non-empty prefect.resource.id');
  const related = resource
    .superRefine((labels, ctx) => requireLabel(labels, RESOURCE_ROLE_LABEL, ctx))
    .describe('A related resource: a resource that also has a non-empty prefect.resource.role');
  return { resource, related };
}

const defaultResources = makeResourceSchemas(DEFAULT_EVENT_LIMITS.maxLabelsPerResource);
/** Schema of a primary resource under the default limits. */
export const Resource = defaultResources.resource;
/** Schema of a related resource under the default limits. */
export const RelatedResource = defaultResources.related;
/** A resource: label name → value; `prefect.resource.id` always present. */
export type Resource = z.infer<typeof Resource>;
/** A related resource: a Resource that also has `prefect.resource.role`. */
export type RelatedResource = z.infer<typeof RelatedResource>;

const uuid = z.string({ error: expected('a UUID string') }).transform((value, ctx) => {
  const normalised = normaliseUuid(value);
  if (normalised === undefined) ctx.addIssue({ code: 'custom', message: 'Expected a UUID' });
  return normalised ?? z.NEVER;
});

const timestamp = z.string({ error: expected('an ISO 8601 date-time string') }).transform((value, ctx) => {
  const normalised = normaliseTimestamp(value);
  if (normalised === undefined) {
    ctx.addIssue({ code: 'custom', message: 'Expected an ISO 8601 date-time such as 2024-01-31T12:00:00Z' });
  }
  return normalised ?? z.NEVER;
});

/** Returns the number of bytes of `text` in UTF-8, without Node's Buffer (this folder runs in the sandbox). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Returns the schemas of an event under `limits`: `eventInput` for what senders post (`id` and `occurred` optional,
 * for the caller to fill in) and `event` for a complete event. Both normalise `occurred` to UTC ISO text and ids to
 * lowercase hyphenated UUIDs, fill `related: []`, `payload: {}`, `follows: null`, and drop unknown fields.
 */
export function makeEventSchemas(limits: EventLimits = DEFAULT_EVENT_LIMITS) {
  const { resource, related } = makeResourceSchemas(limits.maxLabelsPerResource);
  const maxName = limits.maxEventNameLength;
  const maxRelated = limits.maxRelatedResources;
  const fields = {
    occurred: timestamp.describe("When the event happened, from the sender's perspective"),
    event: z
      .string({ error: expected('an event name string') })
      .min(1, { error: 'Must not be empty' })
      .superRefine((name, ctx) => {
        const length = name.length > maxName ? Array.from(name).length : name.length;
        if (length > maxName) {
          ctx.addIssue({ code: 'custom', message: `event name is ${length} characters, over the limit of ${maxName}` });
        } else {
          limitIndexedBytes(name, 'event name', [], ctx);
        }
        if (name.includes(NUL)) ctx.addIssue({ code: 'custom', message: NO_NUL });
      })
      .describe('The name of the event that happened'),
    resource: resource.describe('The primary resource this event concerns'),
    related: z
      .array(related, { error: expected('an array of related resources') })
      .superRefine((list, ctx) => {
        if (list.length > maxRelated) {
          const message = `event has ${list.length} related resources, over the limit of ${maxRelated}`;
          ctx.addIssue({ code: 'custom', message });
        }
      })
      .default([])
      .describe('Additional resources involved in this event; order matters for role lookups'),
    payload: z
      .record(z.string(), z.unknown(), { error: expected('an object') })
      .default({})
      .describe('An open-ended set of data describing what happened'),
    id: uuid.describe('The client-provided identifier of this event; the de-duplication key'),
    follows: uuid.nullable().default(null).describe('The id of an event known to have occurred before this one'),
  };
  const object = expected('an event object');
  const sizeLimit = (value: object, ctx: z.RefinementCtx): void => {
    const json = JSON.stringify(value);
    // A UTF-16 unit is at most 3 bytes of UTF-8: most events are far enough under the limit not to need counting.
    if (json.length * 3 <= limits.maxEventBytes) return;
    const bytes = utf8Length(json);
    if (bytes > limits.maxEventBytes) {
      ctx.addIssue({ code: 'custom', message: `event is ${bytes} bytes, over the limit of ${limits.maxEventBytes}` });
    }
  };
  const event = z.object(fields, { error: object }).superRefine(sizeLimit);
  const eventInput = z
    .object({ ...fields, occurred: fields.occurred.optional(), id: fields.id.optional() }, { error: object })
    .superRefine(sizeLimit);
  return { eventInput, event };
}

/** The schemas returned by `makeEventSchemas`. */
export type EventSchemas = ReturnType<typeof makeEventSchemas>;
/** A complete event: every field present, `occurred` as UTC ISO text, ids as lowercase UUIDs. */
export type Event = z.output<EventSchemas['event']>;
/** An accepted event before the caller fills in a missing `id` and `occurred`. */
export type EventInput = z.output<EventSchemas['eventInput']>;
/** An event as stored: an Event plus the time tripwire received it (UTC ISO text). */
export type ReceivedEvent = Event & { received: string };

/** One validation problem: the dotted path of the offending value ('' for the whole event) and what is wrong. */
export interface EventIssue {
  path: string;
  message: string;
}

/** Returns the issues of a failed parse, e.g. `{path: 'resource.prefect.resource.id', message: 'Required'}`. */
export function formatIssues(error: z.ZodError): EventIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
