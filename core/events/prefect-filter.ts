// Prefect's EventFilter (server `events/filters.py`): what a Prefect client sends to read the event feed
// (`POST /api/events/filter`) and to subscribe to it (`/api/events/out`). One parsed shape, and one evaluator used for
// both, so a subscription sees exactly the events a query would return.
//
// Where Prefect's two paths disagree, tripwire follows its SQL (what `/events/filter` returns) everywhere:
// - the related filter narrows the live stream too (Prefect's `EventRelatedFilter` has no `includes`, so its live
//   stream passes every event);
// - `prefect.resource.role` in related or any-resource labels is an exact list of roles, not a pattern;
// - label patterns are globs (`fnmatch`), as for triggers, where Prefect's SQL reads them as LIKE (`*`, `?` only).
// Text search uses Prefect's in-memory reading in both paths: the event name, label values and the payload.
import { z } from 'zod';
import { normaliseUuid } from '../ids';
import { getLabel, labelValueMatches, type ResourceSpecification } from './matching';
import type { RelatedResource, Resource, ReceivedEvent } from './schema';
import { normaliseTimestamp, sortableTime } from './timestamp';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far back a filter without `occurred.since` reaches: 180 days before the start of today (UTC), as Prefect. */
const DEFAULT_LOOKBACK_DAYS = 180;
/** Prefect's limit on a text query. */
const MAX_TEXT_QUERY = 200;

const names = z.array(z.string()).nullish();
const labelValue = z.union([z.string(), z.array(z.string())]);
const resourceSpecification: z.ZodType<ResourceSpecification> = z.record(z.string(), labelValue);

/** A string that `normalise` puts in canonical form, or a validation issue with `message` (pydantic's wording). */
function normalised(normalise: (text: string) => string | undefined, message: string) {
  return z.string().transform((text, ctx) => {
    const value = normalise(text);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return value;
  });
}

const timestamp = normalised(normaliseTimestamp, 'Input should be a valid datetime');
const eventId = normalised(normaliseUuid, 'Input should be a valid UUID');

const relatedFilter = z.strictObject({
  id: names,
  role: names,
  resources_in_roles: z.array(z.tuple([z.string(), z.string()])).nullish(),
  labels: resourceSpecification.nullish(),
});

const anyResourceFilter = z.strictObject({
  id: names,
  id_prefix: names,
  labels: resourceSpecification.nullish(),
});

/** One of Prefect's filters or a list of them, all of which must hold. */
function oneOrMany<T extends z.ZodType>(filter: T) {
  return z
    .union([filter, z.array(filter)])
    .nullish()
    .transform((value) => (value == null ? [] : Array.isArray(value) ? value : [value]) as z.output<T>[]);
}

/** Returns the schema of Prefect's EventFilter; `now` supplies the defaults of `occurred`. */
export function prefectEventFilterSchema(now: () => Date = () => new Date()) {
  return z
    .strictObject({
      occurred: z
        .strictObject({ since: timestamp.nullish(), until: timestamp.nullish() })
        .nullish()
        .transform((occurred) => {
          const at = now();
          const startOfDay = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
          return {
            since: occurred?.since ?? new Date(startOfDay - DEFAULT_LOOKBACK_DAYS * DAY_MS).toISOString(),
            until: occurred?.until ?? at.toISOString(),
          };
        }),
      event: z
        .strictObject({ prefix: names, exclude_prefix: names, name: names, exclude_name: names })
        .nullish()
        .transform((value) => value ?? undefined),
      resource: z
        .strictObject({
          id: names,
          id_prefix: names,
          labels: resourceSpecification.nullish(),
          distinct: z.boolean().nullish(),
        })
        .nullish()
        .transform((value) => value ?? undefined),
      related: oneOrMany(relatedFilter),
      any_resource: oneOrMany(anyResourceFilter),
      id: z
        .strictObject({ id: z.array(eventId).nullish() })
        .nullish()
        .transform((value) => value?.id ?? []),
      text: z
        .strictObject({ query: z.string().max(MAX_TEXT_QUERY) })
        .nullish()
        .transform((value) => value ?? undefined),
      order: z.enum(['ASC', 'DESC']).nullish(),
    })
    .transform(({ order, ...filter }) => ({ ...filter, order: order ?? ('DESC' as const) }));
}

/** A parsed EventFilter: `occurred` bounds filled in, single filters turned into lists, event ids canonical. */
export type PrefectEventFilter = z.output<ReturnType<typeof prefectEventFilterSchema>>;
export type RelatedFilter = z.output<typeof relatedFilter>;
export type AnyResourceFilter = z.output<typeof anyResourceFilter>;

/** Returns true when `event` passes every part of `filter`. */
export function filterIncludes(filter: PrefectEventFilter, event: ReceivedEvent): boolean {
  const occurred = sortableTime(event.occurred);
  if (occurred < sortableTime(filter.occurred.since) || occurred > sortableTime(filter.occurred.until)) return false;
  if (filter.event && !nameIncludes(filter.event, event.event)) return false;
  if (filter.resource && !resourceIncludes(filter.resource, event.resource)) return false;
  if (!filter.related.every((related) => relatedIncludes(related, event))) return false;
  if (!filter.any_resource.every((any) => anyResourceIncludes(any, event))) return false;
  if (filter.id.length > 0 && !filter.id.includes(event.id)) return false;
  if (filter.text && !textIncludes(filter.text.query, event)) return false;
  return true;
}

function nameIncludes(filter: NonNullable<PrefectEventFilter['event']>, name: string): boolean {
  if (filter.prefix?.length && !filter.prefix.some((prefix) => name.startsWith(prefix))) return false;
  if (filter.exclude_prefix?.length && filter.exclude_prefix.some((prefix) => name.startsWith(prefix))) return false;
  if (filter.name?.length && !filter.name.includes(name)) return false;
  if (filter.exclude_name?.length && filter.exclude_name.includes(name)) return false;
  return true;
}

function resourceIncludes(filter: NonNullable<PrefectEventFilter['resource']>, resource: Resource): boolean {
  const id = resource['prefect.resource.id'] ?? '';
  if (filter.id?.length && !filter.id.includes(id)) return false;
  if (filter.id_prefix?.length && !filter.id_prefix.some((prefix) => id.startsWith(prefix))) return false;
  if (filter.labels && !labelsMatch(filter.labels, resource, '')) return false;
  return true;
}

/**
 * Prefect's related filter: one resource of the event satisfies every criterion given. Without `role` only related
 * resources count; a `role` list may name `''`, the primary resource's role in Prefect's resource table.
 */
function relatedIncludes(filter: RelatedFilter, event: ReceivedEvent): boolean {
  if (!constrainsRelated(filter)) return true;
  const candidates: Array<{ resource: Resource; role: string }> = event.related.map((resource) => ({
    resource,
    role: resource['prefect.resource.role'] ?? '',
  }));
  if (filter.role?.length) candidates.push({ resource: event.resource, role: '' });
  return candidates.some(({ resource, role }) => {
    const id = resource['prefect.resource.id'] ?? '';
    if (filter.id?.length && !filter.id.includes(id)) return false;
    if (filter.role?.length ? !filter.role.includes(role) : role === '') return false;
    if (filter.resources_in_roles?.length && !filter.resources_in_roles.some(([i, r]) => i === id && r === role)) {
      return false;
    }
    if (filter.labels && !labelsMatch(filter.labels, resource, role)) return false;
    return true;
  });
}

/** Whether a related filter says anything: one of all-empty criteria passes every event, as in Prefect. */
export function constrainsRelated(filter: RelatedFilter): boolean {
  return Boolean(
    filter.id?.length ||
    filter.role?.length ||
    filter.resources_in_roles?.length ||
    (filter.labels && Object.keys(filter.labels).length > 0),
  );
}

function anyResourceIncludes(filter: AnyResourceFilter, event: ReceivedEvent): boolean {
  const resources: Array<{ resource: Resource; role: string }> = [
    { resource: event.resource, role: '' },
    ...event.related.map((resource: RelatedResource) => ({ resource, role: resource['prefect.resource.role'] ?? '' })),
  ];
  return resources.some(({ resource, role }) => {
    const id = resource['prefect.resource.id'] ?? '';
    if (filter.id?.length && !filter.id.includes(id)) return false;
    if (filter.id_prefix?.length && !filter.id_prefix.some((prefix) => id.startsWith(prefix))) return false;
    if (filter.labels && !labelsMatch(filter.labels, resource, role)) return false;
    return true;
  });
}

/** Every label of `spec` holds on `resource`; an empty list of values matches nothing, as in Prefect's SQL. */
function labelsMatch(spec: ResourceSpecification, resource: Resource, role: string): boolean {
  for (const [label, expected] of Object.entries(spec)) {
    const patterns = typeof expected === 'string' ? [expected] : expected;
    if (label === 'prefect.resource.role') {
      if (!patterns.includes(role)) return false;
      continue;
    }
    const value = getLabel(resource, label);
    if (!patterns.some((pattern) => labelValueMatches(pattern, value))) return false;
  }
  return true;
}

/** Prefect's text search: any include term, no exclude term, every required term, case-insensitively. */
function textIncludes(query: string, event: ReceivedEvent): boolean {
  const terms = parseTextQuery(query);
  const text = [
    event.event,
    ...Object.values(event.resource),
    ...event.related.flatMap((resource) => Object.values(resource)),
    JSON.stringify(event.payload),
  ]
    .join(' ')
    .toLowerCase();
  const has = (term: string) => text.includes(term.toLowerCase());
  if (terms.include.length > 0 && !terms.include.some(has)) return false;
  if (terms.exclude.some(has)) return false;
  return terms.required.every(has);
}

export interface TextQuery {
  include: string[];
  exclude: string[];
  required: string[];
}

/**
 * Parses Prefect's text query (`server/utilities/text_search_parser.py`): space-separated terms are alternatives,
 * `-term`/`!term` excludes, `+term` is required, `"quoted phrases"` are one term with `\"` and `\\` escapes.
 */
export function parseTextQuery(query: string): TextQuery {
  const terms: TextQuery = { include: [], exclude: [], required: [] };
  const add = (prefix: string | undefined, term: string) => {
    if (prefix === '-' || prefix === '!') terms.exclude.push(term);
    else if (prefix === '+') terms.required.push(term);
    else terms.include.push(term);
  };
  const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char);
  let i = 0;
  while (i < query.length) {
    if (isSpace(query[i])) {
      i++;
      continue;
    }
    let prefix: string | undefined;
    if ('-!+'.includes(query[i]!)) {
      if (i + 1 < query.length && !isSpace(query[i + 1])) {
        prefix = query[i];
        i++;
      } else {
        i++;
        continue;
      }
    }
    if (query[i] === '"') {
      i++;
      const start = i;
      while (i < query.length && query[i] !== '"') i += query[i] === '\\' && i + 1 < query.length ? 2 : 1;
      const phrase = unescapePhrase(query.slice(start, i));
      if (i < query.length) i++;
      if (phrase.trim()) add(prefix, phrase);
      continue;
    }
    const start = i;
    while (i < query.length && !isSpace(query[i]) && query[i] !== '"') i++;
    if (i > start) add(prefix, query.slice(start, i));
  }
  return terms;
}

function unescapePhrase(phrase: string): string {
  return phrase.replace(/\\(["\\])/g, '$1');
}
