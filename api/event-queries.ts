// Prefect's event queries: POST /api/events/filter answers `{events, total, next_page}` for an EventFilter, and
// GET /api/events/filter/next?page-token=… the pages after it. Prefect's clients read the feed this way
// (`client.read_events()`, `read_events_page(next_page)`). The token carries the filter with its time bounds fixed at
// the first page, so later pages do not drift as new events arrive. POST /api/events/count-by/{countable} counts
// them per time bucket, event name or resource, as Prefect's UI charts the feed.
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { EventFilterQueries, PagePosition } from '../db/event-filter-queries';
import { COUNTABLES, countRequestSchema, type Countable, eventCounter } from '../core/events/event-counts';
import { prefectEventFilterSchema } from '../core/events/prefect-filter';
import { TripwireError } from '../core/errors';
import { parseWith, readOptionalJson } from './input';

/** Prefect's page size (INTERACTIVE_PAGE_SIZE) is the default; its client asks for 100, which is allowed too. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

const pageRequestSchema = z
  .strictObject({
    filter: z.record(z.string(), z.unknown()).nullish(),
    limit: z.number().int().min(0).max(MAX_PAGE_SIZE).nullish(),
  })
  .nullish();

/** What a page token holds: the filter as sent (bounds fixed), the total, the page size and where to go on. */
const pageTokenSchema = z.strictObject({
  filter: z.record(z.string(), z.unknown()),
  total: z.number().int().min(0),
  size: z.number().int().min(1).max(MAX_PAGE_SIZE),
  shown: z.number().int().min(0),
  after: z.strictObject({ occurred: z.string(), seq: z.number().int() }).optional(),
});
type PageToken = z.infer<typeof pageTokenSchema>;

/** Returns the router of Prefect's event queries (mounted under /api). */
export function eventQueryRoutes(queries: EventFilterQueries): Router {
  const router = new Router({ prefix: '/events' });
  const filterSchema = prefectEventFilterSchema();

  router.post('/filter', async (ctx) => {
    const request = parseWith(pageRequestSchema, await readOptionalJson(ctx), 'event query');
    const filter = parseWith(filterSchema, request?.filter ?? {}, 'event filter');
    const size = request?.limit ?? DEFAULT_PAGE_SIZE;
    const fixed = { ...(request?.filter ?? {}), occurred: filter.occurred };
    const [total, page] = await Promise.all([queries.count(filter), queries.page(filter, size, { skip: 0 })]);
    ctx.body = {
      events: page.events,
      total,
      next_page: nextPage(ctx, { filter: fixed, total, size, shown: page.events.length }, page.last),
    };
  });

  router.get('/filter/next', async (ctx) => {
    const token = readToken(ctx.query['page-token']);
    const parsed = filterSchema.safeParse(token.filter);
    if (!parsed.success) throw new TripwireError('FORBIDDEN', 'the page token is not one this API issued');
    const page = await queries.page(parsed.data, token.size, { after: token.after, skip: token.shown });
    const shown = token.shown + page.events.length;
    ctx.body = {
      events: page.events,
      total: token.total,
      next_page: nextPage(ctx, { ...token, shown }, page.last),
    };
  });

  router.post('/count-by/:countable', async (ctx) => {
    const countable = ctx.params.countable as Countable;
    if (!COUNTABLES.includes(countable)) {
      throw new TripwireError('UNPROCESSABLE', `countable must be one of ${COUNTABLES.join(', ')}`, [
        { path: 'countable', message: `Input should be ${COUNTABLES.map((c) => `'${c}'`).join(', ')}` },
      ]);
    }
    const request = parseWith(countRequestSchema, await readOptionalJson(ctx), 'event count');
    const filter = parseWith(filterSchema, request.filter ?? {}, 'event filter');
    const counter = eventCounter(countable, filter.occurred, request.time_unit, request.time_interval, new Date());
    for await (const event of queries.unordered(filter)) counter.add(event);
    ctx.body = counter.result();
  });

  return router;
}

/** The URL of the page after this one, or null when this one was the last (Prefect's EventPage.next_page). */
function nextPage(ctx: Koa.Context, token: Omit<PageToken, 'after'>, last: PagePosition | undefined): string | null {
  if (!last || token.shown >= token.total) return null;
  const encoded = Buffer.from(JSON.stringify({ ...token, after: last })).toString('base64url');
  return `${ctx.protocol}://${ctx.host}/api/events/filter/next?page-token=${encoded}`;
}

function readToken(value: unknown): PageToken {
  const text: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text === '') throw new TripwireError('FORBIDDEN', 'page-token is missing');
  try {
    return pageTokenSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new TripwireError('FORBIDDEN', 'the page token is not one this API issued');
  }
}
