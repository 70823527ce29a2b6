// /api/events — ingest (one event or Prefect's array), the feed with filters and cursor paging, one event by id, and
// a live tail over server-sent events that resumes from Last-Event-ID without gaps.
import Router from '@koa/router';
import type Koa from 'koa';
import type { EventFilter, EventRepository } from '../db/events';
import { normaliseTimestamp } from '../core/events/timestamp';
import type { EventFeed } from '../services/events/event-feed';
import type { IngestPipeline } from '../services/events/pipeline';
import { TripwireError } from '../core/errors';
import { type EventStreamOptions, includes, streamEvents } from './events-stream';
import { readJson } from './input';

export interface EventRouteOptions extends EventStreamOptions {
  maxBodyBytes: number;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** Returns the router of /events (mounted under /api). */
export function eventRoutes(
  events: EventRepository,
  pipeline: IngestPipeline,
  feed: EventFeed,
  options: EventRouteOptions,
): Router {
  const router = new Router({ prefix: '/events' });

  router.post('/', async (ctx) => {
    const body = await readJson(ctx, options.maxBodyBytes * 10);
    const batch = Array.isArray(body);
    await pipeline.accept(batch ? body : [body], batch);
    ctx.status = 204;
  });

  router.get('/', async (ctx) => {
    const filter = parseFilter(ctx.query);
    const limit = parseLimit(ctx.query.limit);
    const before = parseCursor(ctx.query.cursor);
    const page = await events.list(filter, limit + 1, before);
    const shown = page.slice(0, limit).filter((stored) => includes(filter, stored.event));
    const last = page.length > limit ? page[limit - 1] : undefined;
    const nextCursor = last ? String(last.seq) : null;
    ctx.body = {
      events: shown.map((s) => s.event),
      next_cursor: nextCursor,
      next_page: nextCursor ? withQuery(ctx, { cursor: nextCursor }) : null,
    };
  });

  router.get('/stream', async (ctx) => {
    const resumeFrom =
      ctx.get('last-event-id') || (typeof ctx.query.last_event_id === 'string' ? ctx.query.last_event_id : '');
    await streamEvents(ctx, parseFilter(ctx.query), resumeFrom, { events, feed }, options);
  });

  router.get('/:id', async (ctx) => {
    const event = await events.get(ctx.params.id!);
    if (!event) throw new TripwireError('NOT_FOUND', `Event with id '${ctx.params.id}' not found.`);
    ctx.body = event;
  });

  return router;
}

type Query = Koa.Context['query'];

function list(value: Query[string]): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function isoParam(name: string, value: Query[string]): string | undefined {
  if (value === undefined || value === '') return undefined;
  const text = Array.isArray(value) ? value[0]! : value;
  const exact = normaliseTimestamp(text);
  if (exact) return exact;
  const time = Date.parse(text); // a date alone, or another spelling JavaScript reads
  if (Number.isNaN(time)) throw new TripwireError('BAD_REQUEST', `${name} must be an ISO 8601 time, got "${text}"`);
  return new Date(time).toISOString();
}

/** Parses `event`, `resource`, `related`, `since` and `until` query parameters. */
export function parseFilter(query: Query): EventFilter {
  const related = list(query.related)[0];
  return {
    event: list(query.event),
    resource: list(query.resource),
    ...(related ? { related } : {}),
    since: isoParam('since', query.since),
    until: isoParam('until', query.until),
  };
}

function parseLimit(value: Query[string]): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const limit = Number(Array.isArray(value) ? value[0] : value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new TripwireError('BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

function parseCursor(value: Query[string]): number | undefined {
  if (value === undefined || value === '') return undefined;
  const seq = Number(Array.isArray(value) ? value[0] : value);
  if (!Number.isInteger(seq) || seq < 0) throw new TripwireError('BAD_REQUEST', 'cursor is not one this API returned');
  return seq;
}

function withQuery(ctx: Koa.Context, changes: Record<string, string>): string {
  const url = new URL(ctx.originalUrl, 'http://x');
  for (const [k, v] of Object.entries(changes)) url.searchParams.set(k, v);
  return `${url.pathname}${url.search}`;
}
