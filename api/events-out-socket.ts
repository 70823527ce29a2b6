// WebSocket /api/events/out: Prefect's event subscription (server `api/events.py` stream_workspace_events_out).
// After the handshake the client sends `{"type": "filter", "filter": EventFilter, "backfill": bool}`; the server
// answers `{"type": "event", "event": …}` for each stored event the filter selects: first, unless `backfill` is
// false, those that occurred up to 15 minutes back (Prefect's PREFECT_EVENTS_MAXIMUM_WEBSOCKET_BACKFILL), oldest
// first, then each new one as it is stored. Events are sent once: the live stream starts before the backfill, and
// what the backfill sent is not sent again. Prefect's client resumes after a reconnect by asking for events since
// shortly before the last one it saw, and drops those it has seen.
import type { RawData, WebSocket } from 'ws';
import type { EventFilterQueries, PagePosition } from '../db/event-filter-queries';
import { filterIncludes, type PrefectEventFilter, prefectEventFilterSchema } from '../core/events/prefect-filter';
import type { ReceivedEvent } from '../core/events/schema';
import { sortableTime } from '../core/events/timestamp';
import type { EventFeed } from '../services/events/event-feed';
import type { Logger } from '../services/logging/logger';
import { formatPath } from './input';
import { CLOSE, closeWith, messageType, parseMessage, prefectHandshake } from './prefect-socket';

/** How far back a subscription's backfill reaches at most. */
const MAX_BACKFILL_MS = 15 * 60 * 1000;
/** Events per backfill query (Prefect's PREFECT_EVENTS_WEBSOCKET_BACKFILL_PAGE_SIZE). */
const BACKFILL_PAGE_SIZE = 250;
/** How long ids the backfill sent are remembered, to drop the same events arriving late on the live feed. */
const BACKFILL_OVERLAP_MS = 30_000;
/** Unsent bytes a subscriber may fall behind by before it is told to reconnect. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface EventsOutDeps {
  feed: EventFeed;
  queries: EventFilterQueries;
  logger: Logger;
}

/** Runs one subscription on `ws`. */
export function streamOut(
  ws: WebSocket,
  authenticated: boolean,
  deps: EventsOutDeps,
  matches: (header: string) => boolean,
): void {
  const filterSchema = prefectEventFilterSchema();
  const admit = prefectHandshake(ws, authenticated, matches);
  let phase: 'filter' | 'streaming' = 'filter';
  let stop: (() => void) | undefined;

  ws.on('message', (data: RawData, isBinary: boolean) => {
    const message = parseMessage(data, isBinary);
    if (!admit(message)) return;
    if (phase !== 'filter') return; // Prefect reads nothing after the filter either
    phase = 'streaming';
    if (messageType(message) !== 'filter') {
      closeWith(ws, CLOSE.PROTOCOL_ERROR, "Expected 'filter' message");
      return;
    }
    const parsed = filterSchema.safeParse((message as { filter?: unknown }).filter ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      closeWith(ws, CLOSE.PROTOCOL_ERROR, `Invalid filter: ${formatPath(issue.path) || 'filter'}: ${issue.message}`);
      return;
    }
    const backfill = (message as { backfill?: unknown }).backfill !== false;
    subscribe(ws, clamped(parsed.data), backfill, deps).then(
      (unsubscribe) => {
        stop = unsubscribe;
        if (ws.readyState !== ws.OPEN) unsubscribe();
      },
      (error: unknown) => {
        deps.logger.warn('events subscription: could not start', { error: (error as Error).message });
        closeWith(ws, CLOSE.SERVER_ERROR, 'the event store is unavailable');
      },
    );
  });
  // The shared server leaves pongs to each stream (/in delays its own); Prefect's client closes without them.
  ws.on('ping', (data: Buffer) => ws.pong(data));
  ws.on('close', () => stop?.());
  ws.on('error', (error) => deps.logger.warn('events subscription: connection error', { error: error.message }));
}

/** The filter as a subscription runs it: oldest first, reaching back no further than the backfill limit. */
function clamped(filter: PrefectEventFilter, now = Date.now()): PrefectEventFilter {
  const earliest = new Date(now - MAX_BACKFILL_MS).toISOString();
  const since = sortableTime(filter.occurred.since) < sortableTime(earliest) ? earliest : filter.occurred.since;
  return { ...filter, occurred: { ...filter.occurred, since }, order: 'ASC' };
}

/** Sends the backfill, then live events; resolves with what ends the subscription. */
async function subscribe(
  ws: WebSocket,
  filter: PrefectEventFilter,
  backfill: boolean,
  { feed, queries, logger }: EventsOutDeps,
): Promise<() => void> {
  const sent = new Set<string>();
  let live: ReceivedEvent[] | undefined = [];
  let ended = false;
  const send = (event: ReceivedEvent) => {
    if (ended || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ended = true;
      closeWith(ws, CLOSE.TRY_AGAIN_LATER, 'this subscriber fell too far behind; reconnect to resume');
      return;
    }
    ws.send(JSON.stringify({ type: 'event', event }));
  };

  const unsubscribe = await feed.subscribe((stored) => {
    for (const { event } of stored) {
      if (!filterIncludes(filter, event)) continue;
      if (live) live.push(event);
      else if (!sent.delete(event.id)) send(event);
    }
  });
  const end = () => {
    ended = true;
    unsubscribe();
  };

  if (backfill) {
    try {
      let after: PagePosition | undefined;
      while (!ended && ws.readyState === ws.OPEN) {
        const page = await queries.page(filter, BACKFILL_PAGE_SIZE, { after });
        for (const event of page.events) {
          sent.add(event.id);
          send(event);
        }
        if (!page.last) break;
        after = page.last;
      }
    } catch (error) {
      logger.warn('events subscription: backfill failed', { error: (error as Error).message });
      closeWith(ws, CLOSE.SERVER_ERROR, 'the event store is unavailable');
      end();
      return end;
    }
  }
  const waiting = live;
  live = undefined;
  for (const event of waiting) if (!sent.delete(event.id)) send(event);
  setTimeout(() => sent.clear(), BACKFILL_OVERLAP_MS).unref();
  return end;
}
