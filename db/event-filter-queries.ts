// Prefect's event queries (`POST /api/events/filter`): a page of the events an EventFilter selects, in `occurred`
// order, and how many it selects. The database narrows by the indexed columns (times, names, resource ids, related
// ids and roles); every row it returns is then checked by the same evaluator the live stream uses, so the two never
// disagree. Labels of the primary resource and text terms narrow only roughly in SQL (a superset, from the stored
// body), so a count that needs them reads the narrowed rows, in sequence order.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import {
  constrainsRelated,
  filterIncludes,
  parseTextQuery,
  type PrefectEventFilter,
  type RelatedFilter,
} from '../core/events/prefect-filter';
import type { ReceivedEvent } from '../core/events/schema';
import type { Db, Dialect } from './connect';
import { occurredSince, occurredUntil } from './occurred-bounds';
import { globToLike, isLiteral } from './sql-patterns';
import type { Database } from './tables';

/** Where a page ended: the `occurred` and `seq` of its last event. The next page starts after it. */
export interface PagePosition {
  occurred: string;
  seq: number;
}

export interface FilteredPage {
  events: ReceivedEvent[];
  /** Set when the page is full, so a next page may follow. */
  last?: PagePosition;
}

/** Rows read per round trip while scanning. */
const SCAN_CHUNK = 1000;

type Condition = RawBuilder<boolean>;

interface Narrowing {
  conditions: Condition[];
  /** True when the conditions select exactly the filter's events, so SQL alone can count them. */
  exact: boolean;
}

interface ScannedRow {
  position: PagePosition;
  event: ReceivedEvent;
}

/** Runs EventFilters against the events table of either database. */
export class EventFilterQueries {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;

  constructor(handle: Db) {
    this.db = handle.kysely;
    this.dialect = handle.dialect;
  }

  /** Returns how many stored events `filter` selects: distinct primary resources when `resource.distinct`. */
  async count(filter: PrefectEventFilter): Promise<number> {
    const { conditions, exact } = narrowing(filter, this.dialect);
    const distinct = filter.resource?.distinct === true;
    if (exact) {
      const counted = distinct ? sql`count(distinct ${sql.ref('events.resource_id')})` : sql`count(*)`;
      const row = await this.db
        .selectFrom('events')
        .select(counted.as('count'))
        .where((eb) => eb.and(conditions))
        .executeTakeFirst();
      return Number((row as { count?: unknown } | undefined)?.count ?? 0);
    }
    const resources = new Set<string>();
    let count = 0;
    for await (const event of this.unordered(filter)) {
      if (!distinct) count++;
      else resources.add(event.resource['prefect.resource.id'] ?? '');
    }
    return distinct ? resources.size : count;
  }

  /**
   * Returns up to `size` events of `filter` after `from`. With `resource.distinct` each primary resource appears
   * once, at its first event in the filter's order; such pages are found by skipping `skip` events from the start,
   * since whether a resource was shown depends on every page before.
   */
  async page(
    filter: PrefectEventFilter,
    size: number,
    from: { after?: PagePosition; skip?: number } = {},
  ): Promise<FilteredPage> {
    const events: ReceivedEvent[] = [];
    let last: PagePosition | undefined;
    if (size <= 0) return { events };
    if (filter.resource?.distinct) {
      const seen = new Set<string>();
      let skip = from.skip ?? 0;
      for await (const row of this.scan(filter)) {
        const resource = row.event.resource['prefect.resource.id'] ?? '';
        if (seen.has(resource)) continue;
        seen.add(resource);
        if (skip > 0) {
          skip--;
          continue;
        }
        events.push(row.event);
        last = row.position;
        if (events.length === size) break;
      }
    } else {
      for await (const row of this.scan(filter, from.after, Math.min(SCAN_CHUNK, Math.max(size, 50)))) {
        events.push(row.event);
        last = row.position;
        if (events.length === size) break;
      }
    }
    return events.length === size ? { events, last } : { events };
  }

  /** Yields the events `filter` selects in no particular order (sequence order, the cheapest to follow). */
  async *unordered(filter: PrefectEventFilter): AsyncGenerator<ReceivedEvent> {
    const { conditions } = narrowing(filter, this.dialect);
    let after = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('events')
        .select(['events.seq', 'events.body'])
        .where((eb) => eb.and(conditions))
        .where('events.seq', '>', after)
        .orderBy('events.seq', 'asc')
        .limit(SCAN_CHUNK)
        .execute();
      for (const row of rows) {
        const event = JSON.parse(row.body) as ReceivedEvent;
        if (filterIncludes(filter, event)) yield event;
      }
      if (rows.length < SCAN_CHUNK) return;
      after = Number(rows.at(-1)!.seq);
    }
  }

  /** Yields the events `filter` selects, in its order, after `after`. */
  private async *scan(
    filter: PrefectEventFilter,
    after?: PagePosition,
    chunk = SCAN_CHUNK,
  ): AsyncGenerator<ScannedRow> {
    const { conditions } = narrowing(filter, this.dialect);
    const descending = filter.order === 'DESC';
    const direction = descending ? 'desc' : 'asc';
    let position = after;
    for (;;) {
      let query = this.db
        .selectFrom('events')
        .select(['events.seq', 'events.occurred', 'events.body'])
        .where((eb) => eb.and(conditions))
        .orderBy('events.occurred', direction)
        .orderBy('events.seq', direction)
        .limit(chunk);
      if (position) query = query.where(beyond(position, descending));
      const rows = await query.execute();
      for (const row of rows) {
        position = { occurred: row.occurred, seq: Number(row.seq) };
        const event = JSON.parse(row.body) as ReceivedEvent;
        if (filterIncludes(filter, event)) yield { position, event };
      }
      if (rows.length < chunk) return;
    }
  }
}

/** Rows after `position` in the page order. */
function beyond(position: PagePosition, descending: boolean): Condition {
  const occurred = sql.ref('events.occurred');
  const seq = sql.ref('events.seq');
  // The outer bound is a plain range on `occurred`, which its index serves; the OR only settles ties.
  return descending
    ? sql<boolean>`(${occurred} <= ${position.occurred} and (${occurred} < ${position.occurred} or ${seq} < ${position.seq}))`
    : sql<boolean>`(${occurred} >= ${position.occurred} and (${occurred} > ${position.occurred} or ${seq} > ${position.seq}))`;
}

/** The SQL conditions that select a superset of `filter`'s events, and whether that superset is exact. */
function narrowing(filter: PrefectEventFilter, dialect: Dialect): Narrowing {
  const conditions: Condition[] = [occurredSince(filter.occurred.since), occurredUntil(filter.occurred.until)];
  let exact = true;
  const name = sql.ref('events.event');
  const resourceId = sql.ref('events.resource_id');

  const events = filter.event;
  if (events?.prefix?.length) conditions.push(anyOf(events.prefix.map((prefix) => startsWith(name, prefix))));
  for (const prefix of events?.exclude_prefix ?? []) conditions.push(sql<boolean>`not ${startsWith(name, prefix)}`);
  if (events?.name?.length) conditions.push(sql<boolean>`${name} in (${sql.join(events.name)})`);
  if (events?.exclude_name?.length) conditions.push(sql<boolean>`${name} not in (${sql.join(events.exclude_name)})`);

  const resource = filter.resource;
  if (resource?.id?.length) conditions.push(sql<boolean>`${resourceId} in (${sql.join(resource.id)})`);
  if (resource?.id_prefix?.length) {
    conditions.push(anyOf(resource.id_prefix.map((prefix) => startsWith(resourceId, prefix))));
  }
  if (resource?.labels && Object.keys(resource.labels).length > 0) {
    exact = false;
    for (const [label, expected] of Object.entries(resource.labels)) {
      const narrowed = labelNarrowing(label, typeof expected === 'string' ? [expected] : expected, dialect);
      if (narrowed) conditions.push(narrowed);
    }
  }

  for (const related of filter.related) {
    const narrowed = relatedNarrowing(related);
    if (narrowed) conditions.push(narrowed.condition);
    if (!narrowed?.exact) exact = false;
  }

  for (const any of filter.any_resource) {
    const criteria = [any.id?.length, any.id_prefix?.length, any.labels && Object.keys(any.labels).length > 0];
    if (criteria.filter(Boolean).length > 1) exact = false;
    if (any.labels && Object.keys(any.labels).length > 0) exact = false;
    if (any.id?.length) {
      conditions.push(
        sql<boolean>`(${resourceId} in (${sql.join(any.id)}) or ${relatedExists(sql<boolean>`${sql.ref('er.resource_id')} in (${sql.join(any.id)})`)})`,
      );
    }
    if (any.id_prefix?.length) {
      const prefixes = any.id_prefix;
      conditions.push(
        sql<boolean>`(${anyOf(prefixes.map((p) => startsWith(resourceId, p)))} or ${relatedExists(anyOf(prefixes.map((p) => startsWith(sql.ref('er.resource_id'), p))))})`,
      );
    }
  }

  if (filter.id.length > 0) conditions.push(sql<boolean>`${sql.ref('events.id')} in (${sql.join(filter.id)})`);
  if (filter.text) {
    exact = false;
    conditions.push(...textNarrowing(filter.text.query));
  }
  return { conditions, exact };
}

/**
 * A superset of the primary resources whose `label` matches one of `patterns`, read from the stored body: equality
 * for literal patterns, LIKE for globs (a superset: LIKE has no classes), presence
 * for a negated one. Undefined when the label cannot be addressed safely in a JSON path.
 */
function labelNarrowing(label: string, patterns: string[], dialect: Dialect): Condition | undefined {
  if (patterns.length === 0) return sql<boolean>`false`;
  const value =
    dialect === 'postgres'
      ? sql`(cast(${sql.ref('events.body')} as jsonb) -> 'resource' ->> ${label})`
      : /^[\w.:/-]+$/.test(label)
        ? sql`json_extract(${sql.ref('events.body')}, ${`$.resource."${label}"`})`
        : undefined;
  if (value === undefined) return undefined;
  if (patterns.some((pattern) => pattern.startsWith('!'))) return sql<boolean>`${value} is not null`;
  return anyOf(
    patterns.map((pattern) =>
      isLiteral(pattern)
        ? sql<boolean>`${value} = ${pattern}`
        : sql<boolean>`${value} like ${globToLike(pattern)} escape '\\'`,
    ),
  );
}

/**
 * A superset of the events a text query includes: the stored body (which holds every label value and the payload)
 * contains an include term, and every required term. Only for printable ASCII terms without quotes or backslashes,
 * whose JSON spelling is the term itself and whose case both databases fold; exclusions cannot narrow, since the body also holds
 * label names and ids the search does not read.
 */
function textNarrowing(query: string): Condition[] {
  const terms = parseTextQuery(query);
  // No space either: the search joins values with spaces, so a term with one may span two values.
  const safe = (term: string) => /^[\x21-\x7e]*$/.test(term) && !/["\\]/.test(term);
  const contains = (term: string) => {
    const pattern = `%${term.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    const body = sql`lower(${sql.ref('events.body')})`;
    return sql<boolean>`${body} like ${pattern} escape '\\'`;
  };
  const conditions: Condition[] = [];
  if (terms.include.length > 0 && terms.include.every(safe)) conditions.push(anyOf(terms.include.map(contains)));
  for (const term of terms.required.filter(safe)) conditions.push(contains(term));
  return conditions;
}

/**
 * The related filter on tripwire's table of related resources, which holds only related resources (no primary with
 * role ''): ids, roles and (id, role) pairs must hold on one row. Labels are checked on the event body afterwards.
 */
function relatedNarrowing(filter: RelatedFilter): { condition: Condition; exact: boolean } | undefined {
  if (!constrainsRelated(filter)) return { condition: sql<boolean>`true`, exact: true };
  if (filter.role?.includes('')) return undefined;
  const id = sql.ref('er.resource_id');
  const role = sql.ref('er.role');
  const parts: Condition[] = [];
  if (filter.id?.length) parts.push(sql<boolean>`${id} in (${sql.join(filter.id)})`);
  if (filter.role?.length) parts.push(sql<boolean>`${role} in (${sql.join(filter.role)})`);
  if (filter.resources_in_roles?.length) {
    parts.push(anyOf(filter.resources_in_roles.map(([i, r]) => sql<boolean>`(${id} = ${i} and ${role} = ${r})`)));
  }
  const hasLabels = filter.labels !== undefined && filter.labels !== null && Object.keys(filter.labels).length > 0;
  return { condition: relatedExists(parts.length > 0 ? allOf(parts) : sql<boolean>`true`), exact: !hasLabels };
}

function relatedExists(condition: Condition): Condition {
  return sql<boolean>`exists (select 1 from event_resources er where er.event_id = ${sql.ref('events.id')} and ${condition})`;
}

/** `column` starts with `prefix`, case-sensitively in both databases (LIKE is not, in SQLite). */
function startsWith(column: RawBuilder<unknown>, prefix: string): Condition {
  return sql<boolean>`substr(${column}, 1, ${sql.lit(Array.from(prefix).length)}) = ${prefix}`;
}

function anyOf(conditions: Condition[]): Condition {
  return sql<boolean>`(${sql.join(conditions, sql` or `)})`;
}

function allOf(conditions: Condition[]): Condition {
  return sql<boolean>`(${sql.join(conditions, sql` and `)})`;
}
