// The event feed (the console's home page), its histogram and the event page. The feed reads through Prefect's
// EventFilter queries (db/event-filter-queries.ts), the same path as POST /api/events/filter, so the console shows
// exactly what the API answers; the histogram is the count-by query's time buckets drawn as SVG.
import Router from '@koa/router';
import type Koa from 'koa';
import type nunjucks from 'nunjucks';
import type { EventFilterQueries, PagePosition } from '../../db/event-filter-queries';
import type { EventRepository } from '../../db/events';
import { type PrefectEventFilter, prefectEventFilterSchema } from '../../core/events/prefect-filter';
import { normaliseTimestamp } from '../../core/events/timestamp';
import type { ReceivedEvent } from '../../core/events/schema';
import { idFromResource, resourceIdFor, uuidFromResource } from '../../core/resources';
import { TripwireError } from '../../core/errors';
import type { ConsoleAuth } from './session';

const PAGE_SIZE = 50;
const HISTOGRAM_BUCKETS = 48;
const DAY_MS = 86_400_000;

/** The feed's filters as the query string carries them. */
export interface FeedQuery {
  event: string;
  resource: string;
  related: string;
  text: string;
  since: string;
  until: string;
}

/** Reads the feed's filters from a query string (missing ones are empty). */
export function feedQuery(query: Koa.Context['query']): FeedQuery {
  const one = (name: string) => {
    const value = query[name];
    return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  };
  return {
    event: one('event'),
    resource: one('resource'),
    related: one('related'),
    text: one('text'),
    since: one('since'),
    until: one('until'),
  };
}

/**
 * Returns Prefect's EventFilter for the feed's filters: the event name is a prefix, a resource ending in `*` is a
 * prefix and otherwise exact, related is an exact resource id, text is Prefect's text search.
 */
export function feedFilter(q: FeedQuery, defaultSinceMs?: number): PrefectEventFilter {
  const time = (name: string, text: string) => {
    if (!text) return undefined;
    const exact =
      normaliseTimestamp(text) ?? (Number.isNaN(Date.parse(text)) ? undefined : new Date(text).toISOString());
    if (!exact) throw new TripwireError('BAD_REQUEST', `${name} must be a date and time, got "${text}"`);
    return exact;
  };
  const since = time('since', q.since) ?? (defaultSinceMs ? new Date(Date.now() - defaultSinceMs).toISOString() : null);
  const raw = {
    occurred: { since, until: time('until', q.until) ?? null },
    ...(q.event ? { event: { prefix: [q.event] } } : {}),
    ...(q.resource
      ? { resource: q.resource.endsWith('*') ? { id_prefix: [q.resource.slice(0, -1)] } : { id: [q.resource] } }
      : {}),
    ...(q.related ? { related: { id: [q.related] } } : {}),
    ...(q.text ? { text: { query: q.text } } : {}),
  };
  const parsed = prefectEventFilterSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TripwireError(
      'BAD_REQUEST',
      `invalid filter: ${issue ? `${issue.path.join('.')}: ${issue.message}` : ''}`,
    );
  }
  return parsed.data;
}

/** The live tail's query (GET /console/api/events/stream): the same selection, in the stream's glob terms. */
function tailQuery(q: FeedQuery): Record<string, string> {
  return {
    ...(q.event ? { event: `${q.event}*` } : {}),
    ...(q.resource ? { resource: q.resource } : {}),
    ...(q.related ? { related: q.related } : {}),
  };
}

export interface FeedDeps {
  auth: ConsoleAuth;
  views: nunjucks.Environment;
  queries: EventFilterQueries;
  events: EventRepository;
}

/** Returns the router of the feed, its histogram and the event page. */
export function feedRoutes(deps: FeedDeps, page: (ctx: Koa.Context, view: string, data: object) => void): Router {
  const router = new Router();

  router.get('/', async (ctx) => {
    const q = feedQuery(ctx.query);
    const filter = feedFilter(q);
    const after = parseAfter(ctx.query.after);
    const { events, last } = await deps.queries.page(filter, PAGE_SIZE, after ? { after } : {});
    page(ctx, 'feed.njk', {
      title: 'Events',
      nav: 'events',
      q,
      events: events.map(row),
      older: last ? { ...q, after: `${last.occurred}~${last.seq}` } : undefined,
      paged: Boolean(after),
      tail: new URLSearchParams(tailQuery(q)).toString(),
    });
  });

  router.get('/feed/histogram.svg', async (ctx) => {
    const q = feedQuery(ctx.query);
    const filter = feedFilter(q, DAY_MS);
    const buckets = await histogram(deps.queries, filter);
    const max = Math.max(1, ...buckets.map((b) => b.count));
    const width = 960;
    const height = 120;
    const barWidth = width / Math.max(1, buckets.length);
    ctx.type = 'image/svg+xml';
    ctx.body = deps.views.render('histogram.njk', {
      width,
      height,
      max,
      total: buckets.reduce((sum, b) => sum + b.count, 0),
      since: filter.occurred.since,
      until: filter.occurred.until,
      bars: buckets.map((b, i) => {
        const h = b.count === 0 ? 0 : Math.max(2, Math.round((b.count / max) * (height - 24)));
        return {
          x: i * barWidth,
          y: height - 16 - h,
          w: Math.max(1, barWidth - 1),
          h,
          count: b.count,
          at: b.since,
        };
      }),
    });
  });

  router.get('/events/:id', async (ctx) => {
    const event = await deps.events.get(ctx.params.id!);
    if (!event) throw new TripwireError('NOT_FOUND', `Event with id '${ctx.params.id}' not found.`);
    const since = new Date(Date.parse(event.occurred) - DAY_MS).toISOString();
    const causedFilter = prefectEventFilterSchema().parse({
      occurred: { since },
      related: { id: [resourceIdFor('event', event.id)] },
      order: 'ASC',
    });
    const caused = (await deps.queries.page(causedFilter, 100)).events;
    const runs = new Set<string>();
    for (const c of caused) {
      for (const r of [c.resource, ...c.related]) {
        const id = idFromResource('flow-run', r['prefect.resource.id']);
        if (id) runs.add(id);
      }
    }
    const payload = event.payload;
    page(ctx, 'event.njk', {
      title: event.event,
      nav: 'events',
      event: row(event),
      json: JSON.stringify(event, null, 2),
      caused: caused.map(row),
      runs: [...runs],
      failure:
        event.event === 'prefect-cloud.webhook.failed'
          ? {
              method: payload.method,
              headers: payload.headers,
              body: typeof payload.body === 'string' ? payload.body : JSON.stringify(payload.body, null, 2),
              rendered: payload.rendered,
              status: payload.status,
              reason: payload.reason,
            }
          : undefined,
    });
  });
  return router;
}

/**
 * Counts `filter`'s events in HISTOGRAM_BUCKETS equal slices of its time range, one count query per slice: where
 * the database can count a filter by itself (names, resource ids, related ids) each slice is an index range count,
 * instead of reading every event of the range into memory as the count-by query does.
 */
async function histogram(
  queries: EventFilterQueries,
  filter: PrefectEventFilter,
): Promise<{ since: string; count: number }[]> {
  const since = Date.parse(filter.occurred.since);
  const until = Date.parse(filter.occurred.until);
  const size = Math.max(1000, Math.ceil((until - since) / HISTOGRAM_BUCKETS / 1000) * 1000);
  const slices: { since: string; until: string }[] = [];
  for (let start = since; start <= until; start += size) {
    const end = start + size > until ? filter.occurred.until : endBefore(start + size);
    slices.push({ since: new Date(start).toISOString(), until: end });
  }
  const counts: { since: string; count: number }[] = [];
  // A few at a time: PostgreSQL answers them side by side, without taking every pooled connection.
  for (let i = 0; i < slices.length; i += 8) {
    const batch = slices.slice(i, i + 8);
    const results = await Promise.all(batch.map((slice) => queries.count({ ...filter, occurred: slice })));
    batch.forEach((slice, j) => counts.push({ since: slice.since, count: results[j]! }));
  }
  return counts;
}

/** The last microsecond before `ms`, since both bounds of `occurred` are inclusive. */
function endBefore(ms: number): string {
  return `${new Date(ms - 1).toISOString().slice(0, -1)}999Z`;
}

/** An event as the feed lists it; the template escapes every field. */
function row(event: ReceivedEvent) {
  return {
    id: event.id,
    occurred: event.occurred,
    event: event.event,
    resource: event.resource['prefect.resource.id'] ?? '',
    resourceName: event.resource['prefect.resource.name'] ?? '',
    resourceLabels: Object.entries(event.resource).filter(([k]) => k !== 'prefect.resource.id'),
    related: event.related.map((r) => ({
      id: r['prefect.resource.id'] ?? '',
      // Resources tripwire itself names get a page of their own; ids are checked, never copied into a URL as they are.
      eventId: uuidFromResource('event', r['prefect.resource.id']),
      runId: uuidFromResource('flow-run', r['prefect.resource.id']),
      automationId: uuidFromResource('automation', r['prefect.resource.id']),
      role: r['prefect.resource.role'] ?? '',
      name: r['prefect.resource.name'] ?? '',
    })),
  };
}

function parseAfter(value: unknown): PagePosition | undefined {
  const text: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text === '') return undefined;
  const match = /^(.+)~(\d+)$/.exec(text);
  if (!match) throw new TripwireError('BAD_REQUEST', 'after is not a position this page gave');
  return { occurred: match[1]!, seq: Number(match[2]) };
}
