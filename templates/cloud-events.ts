// The `from_cloud_event` filter: `{{ body|from_cloud_event(headers) }}` turns a CloudEvents 1.0 HTTP request into
// the JSON text of a Prefect event. Prefect Cloud documents only the mapping of subject/source, data and "all
// other attributes"; the mode handling and id/type/time mapping are this project's decisions (spec §10.4).
//
// Implementation notes:
// - Structured mode: content type application/cloudevents+json, the body is the event object.
// - Batch mode: application/cloudevents-batch+json, the body is an array of events; the output is a JSON array.
// - Binary mode: `ce-*` headers carry the attributes (percent-decoded, as the HTTP binding requires), the body is
//   the data and the content type is `datacontenttype`.
// - A body that is itself an event object is read as structured even without the content type.
// - Prefect event: id ← id, event ← type, occurred ← time (when present), resource ← {"prefect.resource.id":
//   subject ?? source}, payload ← {data, cloudevents: every other attribute (source, specversion,
//   datacontenttype, dataschema, subject, extensions)}; `data_base64` stays base64 under payload.data_base64.
// - A Prefect event id must be a UUID, a CloudEvent id need not be (only source + id is unique). A non-UUID id
//   becomes a UUIDv5 of source and id, so a redelivered CloudEvent still de-duplicates; the original id is kept
//   under payload.cloudevents.id.
import crypto from 'node:crypto';
import { normaliseUuid } from '../core/ids';
import { TemplateError } from './errors';
import { isMapping, pyTypeName, unwrap } from './python';

/** The CloudEvents attributes that become top-level Prefect event fields or the payload's data. */
const MAPPED = new Set(['id', 'type', 'time', 'data', 'data_base64']);

function cloudEventError(message: string): TemplateError {
  return new TemplateError('render', `from_cloud_event: ${message}`);
}

function header(headers: unknown, name: string): string | undefined {
  if (!isMapping(headers)) return undefined;
  const value = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return typeof value === 'string' ? value : undefined;
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function toPrefectEvent(attributes: Record<string, unknown>, where = ''): Record<string, unknown> {
  const specversion = attributes.specversion;
  if (specversion !== '1.0') {
    throw cloudEventError(
      `unsupported CloudEvents spec version '${String(specversion)}'${where} (only 1.0 is supported)`,
    );
  }
  for (const name of ['id', 'source', 'type']) {
    if (typeof attributes[name] !== 'string' || attributes[name] === '') {
      throw cloudEventError(`the CloudEvent${where} has no '${name}' attribute`);
    }
  }
  const cloudevents: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) if (!MAPPED.has(name)) cloudevents[name] = value;
  const id = normaliseUuid(attributes.id as string);
  if (id === undefined) cloudevents.id = attributes.id;
  const payload: Record<string, unknown> = { data: attributes.data ?? null, cloudevents };
  if (attributes.data_base64 !== undefined) payload.data_base64 = attributes.data_base64;
  const subject = attributes.subject;
  return {
    id: id ?? uuid5(`${attributes.source as string}\n${attributes.id as string}`),
    event: attributes.type,
    ...(typeof attributes.time === 'string' ? { occurred: attributes.time } : {}),
    resource: { 'prefect.resource.id': typeof subject === 'string' && subject !== '' ? subject : attributes.source },
    payload,
  };
}

function structured(body: unknown, where = ''): Record<string, unknown> {
  const value = typeof body === 'string' ? parseJson(body) : body;
  if (!isMapping(value)) throw cloudEventError(`expected a CloudEvent object${where}, got ${pyTypeName(value)}`);
  return toPrefectEvent(value, where);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw cloudEventError(`the body is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Returns the JSON text of the Prefect event(s) for a CloudEvents request given its parsed `body` and its
 * `headers` (any mapping; header names are matched case-insensitively). Throws a `render` TemplateError when
 * the request is not a CloudEvents 1.0 event.
 */
export function fromCloudEvent(bodyValue: unknown, headersValue?: unknown): string {
  const body = unwrap(bodyValue);
  const headers = unwrap(headersValue);
  const contentType = header(headers, 'content-type') ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();

  if (mediaType === 'application/cloudevents-batch+json') {
    const events = typeof body === 'string' ? parseJson(body) : body;
    if (!Array.isArray(events)) throw cloudEventError('a batch must be a JSON array of CloudEvents');
    return JSON.stringify(events.map((event, i) => structured(event, ` at index ${i}`)));
  }
  if (mediaType.startsWith('application/cloudevents+')) {
    if (mediaType !== 'application/cloudevents+json') throw cloudEventError(`unsupported event format '${mediaType}'`);
    return JSON.stringify(structured(body));
  }
  const specversion = header(headers, 'ce-specversion');
  if (specversion !== undefined) {
    const attributes: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(isMapping(headers) ? headers : {})) {
      const lower = name.toLowerCase();
      if (lower.startsWith('ce-') && typeof value === 'string') attributes[lower.slice(3)] = percentDecode(value);
    }
    if (contentType) attributes.datacontenttype = contentType;
    attributes.data = body === '' ? null : body;
    return JSON.stringify(toPrefectEvent(attributes));
  }
  if (isMapping(body) && typeof body.specversion === 'string') return JSON.stringify(structured(body));
  throw cloudEventError('the request is not a CloudEvent (no ce-specversion header and no structured event body)');
}

/** RFC 9562 UUIDv5 of `name` in the URL namespace. */
function uuid5(name: string): string {
  const namespace = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const bytes = crypto.createHash('sha1').update(namespace).update(name).digest().subarray(0, 16);
  bytes[6] = 0x50 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
