// A shortcut past zod for the events nearly every sender posts: already well formed, with plain string labels and
// canonical ids and times. It returns exactly what the zod schema would, or undefined whenever the input is anything
// else (invalid, unusual, or needing a message), and the caller then asks zod, which stays the definition of what is
// valid and the only source of error messages. On the webhook path zod cost about a tenth of each request.
import { normaliseUuid } from '../ids';
import { type EventInput, type EventLimits, MAX_INDEXED_BYTES } from './schema';
import { normaliseTimestamp } from './timestamp';
import { RESOURCE_ID_LABEL, RESOURCE_ROLE_LABEL } from '../resources';

const KNOWN_FIELDS = new Set(['occurred', 'event', 'resource', 'related', 'payload', 'id', 'follows']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A UTF-16 unit is at most 3 bytes of UTF-8, so a string this long is surely within MAX_INDEXED_BYTES; longer ones
 * are left to zod, which counts.
 */
const SURELY_SHORT_ENOUGH = Math.floor(MAX_INDEXED_BYTES / 3);

/** Returns a copy of `value` when it is a resource zod would accept unchanged, else undefined. */
function labels(value: unknown, maxLabels: number, required: string[]): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length > maxLabels) return undefined;
  const out: Record<string, string> = {};
  for (const key of keys) {
    const label = value[key];
    if (typeof label !== 'string' || key === '__proto__' || key.includes('\u0000') || label.includes('\u0000')) {
      return undefined;
    }
    out[key] = label;
  }
  for (const key of required) if (!out[key]) return undefined;
  if (out[RESOURCE_ID_LABEL]!.length > SURELY_SHORT_ENOUGH) return undefined;
  return out;
}

/** Returns the parsed event when `input` is a plain valid event, undefined when zod must decide. */
export function fastParseEventInput(input: unknown, limits: EventLimits): EventInput | undefined {
  if (!isPlainObject(input)) return undefined;
  for (const key of Object.keys(input)) if (!KNOWN_FIELDS.has(key)) return undefined;
  const { occurred, event, resource, related, payload, id, follows } = input;

  if (typeof event !== 'string' || event.length === 0 || event.length > limits.maxEventNameLength) return undefined;
  if (event.length > SURELY_SHORT_ENOUGH || event.includes('\u0000')) return undefined;
  let occurredOut: string | undefined;
  if (occurred !== undefined) {
    if (typeof occurred !== 'string' || (occurredOut = normaliseTimestamp(occurred)) === undefined) return undefined;
  }
  let idOut: string | undefined;
  if (id !== undefined) {
    if (typeof id !== 'string' || (idOut = normaliseUuid(id)) === undefined) return undefined;
  }
  let followsOut: string | null = null;
  if (follows !== undefined && follows !== null) {
    if (typeof follows !== 'string' || (followsOut = normaliseUuid(follows) ?? null) === null) return undefined;
  }
  const resourceOut = labels(resource, limits.maxLabelsPerResource, [RESOURCE_ID_LABEL]);
  if (!resourceOut) return undefined;
  const relatedOut: Record<string, string>[] = [];
  if (related !== undefined) {
    if (!Array.isArray(related) || related.length > limits.maxRelatedResources) return undefined;
    for (const entry of related) {
      const out = labels(entry, limits.maxLabelsPerResource, [RESOURCE_ID_LABEL, RESOURCE_ROLE_LABEL]);
      if (!out) return undefined;
      relatedOut.push(out);
    }
  }
  let payloadOut: Record<string, unknown> = {};
  if (payload !== undefined) {
    if (!isPlainObject(payload) || Object.prototype.hasOwnProperty.call(payload, '__proto__')) return undefined;
    payloadOut = { ...payload };
  }

  // Built whole rather than with `delete`, which would turn the object into a slow dictionary for every later read.
  const parsed: EventInput = {
    ...(occurredOut !== undefined && { occurred: occurredOut }),
    event,
    resource: resourceOut,
    related: relatedOut,
    payload: payloadOut,
    ...(idOut !== undefined && { id: idOut }),
    follows: followsOut,
  };
  // The size rule is zod's: leave anything near the limit to it.
  if (JSON.stringify(parsed).length * 3 > limits.maxEventBytes) return undefined;
  return parsed;
}
