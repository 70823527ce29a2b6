// GET /api/events/stream: a live tail of stored events as server-sent events, resumable with Last-Event-ID.
//
// Live events come from the process's one EventFeed, which also hands out, on PostgreSQL, events whose transaction
// committed after a later sequence number was read. Each event's SSE id is the position the tail has reached (the
// highest sequence number it has seen), not the event's own number, so a late commit never moves a resuming client
// backwards. A client that reconnects with that id first reads what it missed from the table, then continues live.
import { PassThrough } from 'node:stream';
import type Koa from 'koa';
import type { EventFilter, EventRepository, StoredEvent } from '../db/events';
import { globMatch } from '../core/events/matching';
import { sortableTime } from '../core/events/timestamp';
import type { ReceivedEvent } from '../core/events/schema';
import type { EventFeed } from '../services/events/event-feed';
import { TripwireError } from '../core/errors';

export interface EventStreamOptions {
  /** How long a tail may be silent before it sends a comment, so proxies keep the connection open. */
  heartbeatMs?: number;
  /** How long after a failed catch-up read it is tried again. */
  retryMs?: number;
}

/** Rows per catch-up read. */
const CATCH_UP_PAGE = 200;
/** Unsent bytes a client may fall behind by; past that the tail ends and the client resumes from its last id. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Caught-up sequence numbers remembered, to drop the same rows if the feed hands them out as late commits. */
const MAX_REMEMBERED = 10_000;
/** How long they are remembered after the catch-up ends (longer than the feed looks for a late commit). */
const REMEMBER_MS = 30_000;

/** Answers `ctx` with a tail of the events `filter` selects, after `resumeFrom` (Last-Event-ID) when given. */
export async function streamEvents(
  ctx: Koa.Context,
  filter: EventFilter,
  resumeFrom: string,
  deps: { events: EventRepository; feed: EventFeed },
  options: EventStreamOptions = {},
): Promise<void> {
  const resume = resumeFrom ? await resolveResume(deps.events, resumeFrom) : undefined;
  const stream = new PassThrough();
  let closed = false;
  let position = resume ?? 0;
  let lastWrite = Date.now();
  let pending: StoredEvent[] | undefined = resume === undefined ? undefined : [];
  const caughtUp = new Set<number>();

  const write = (text: string) => {
    if (closed) return;
    lastWrite = Date.now();
    stream.write(text);
    if (stream.writableLength > MAX_BUFFERED_BYTES) {
      // A slow reader loses nothing by being cut off: it reconnects with its last id and catches up from the table.
      close();
      stream.end();
    }
  };
  const send = ({ seq, event }: StoredEvent) => {
    position = Math.max(position, seq);
    if (includes(filter, event)) write(`id: ${position}\nevent: event\ndata: ${JSON.stringify(event)}\n\n`);
  };

  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const heartbeat = setInterval(
    () => {
      if (Date.now() - lastWrite >= heartbeatMs) write(': keep-alive\n\n');
    },
    Math.min(heartbeatMs, 5000),
  );
  let unsubscribe: (() => void) | undefined;
  function close() {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe?.();
  }

  const outage = (down: boolean) => {
    if (down) write(`event: error\ndata: ${JSON.stringify({ message: 'event store unavailable; retrying' })}\n\n`);
  };
  try {
    unsubscribe = await deps.feed.subscribe((batch) => {
      for (const stored of batch) {
        // Held while catching up, but only what this tail sends: a long catch-up under load holds no more than that.
        if (pending) {
          if (includes(filter, stored.event)) pending.push(stored);
        } else if (!caughtUp.delete(stored.seq)) send(stored);
      }
    }, outage);
    if (resume === undefined) position = Math.max(position, await deps.events.latestSeq());
  } catch (error) {
    close();
    throw error; // an outage answers 503 (api/errors.ts), anything else is a bug
  }

  ctx.req.on('close', close);
  stream.on('close', close);
  stream.on('finish', close);
  if (ctx.req.socket.destroyed) close(); // the client left while the subscription started

  const socket = ctx.request.socket;
  socket.setTimeout(0);
  socket.setNoDelay(true);
  socket.setKeepAlive(true);
  ctx.set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  ctx.status = 200;
  ctx.body = stream;
  write(`retry: 2000\n: tailing from ${position}\n\n`);

  if (resume !== undefined) {
    void catchUp(resume).then(() => {
      const waiting = pending ?? [];
      pending = undefined;
      for (const stored of waiting) if (!caughtUp.delete(stored.seq)) send(stored);
      setTimeout(() => caughtUp.clear(), REMEMBER_MS).unref();
    });
  }

  /** Sends what was stored after `from` and before the feed took over, retrying while the store is down. */
  async function catchUp(from: number): Promise<void> {
    let cursor = from;
    while (!closed) {
      let batch: StoredEvent[];
      try {
        batch = await deps.events.after(filter, cursor, CATCH_UP_PAGE);
      } catch {
        outage(true);
        await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 1000));
        continue;
      }
      for (const stored of batch) {
        cursor = stored.seq;
        caughtUp.add(stored.seq);
        if (caughtUp.size > MAX_REMEMBERED) caughtUp.delete(caughtUp.values().next().value!);
        send(stored);
      }
      if (batch.length < CATCH_UP_PAGE) return;
      if (stream.writableNeedDrain) await drained(stream);
    }
  }
}

/** Resolves when `stream` can take more, or is gone. */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

async function resolveResume(events: EventRepository, from: string): Promise<number> {
  if (/^\d+$/.test(from)) return Number(from);
  const seq = await events.seqOf(from);
  if (seq === undefined) throw new TripwireError('BAD_REQUEST', `Last-Event-ID ${from} is not a known event`);
  return seq;
}

/**
 * The same selection as the database query with `filter` (db/events.ts), decided in memory: exact, case-sensitive
 * globs (including `[...]` classes, which the query narrows by LIKE) and `occurred` bounds in time order.
 */
export function includes(filter: EventFilter, event: ReceivedEvent): boolean {
  if (filter.event?.length && !filter.event.some((p) => globMatch(p, event.event))) return false;
  const id = event.resource['prefect.resource.id'] ?? '';
  if (filter.resource?.length && !filter.resource.some((p) => globMatch(p, id))) return false;
  if (filter.related && !event.related.some((r) => (r['prefect.resource.id'] ?? '') === filter.related)) return false;
  const occurred = sortableTime(event.occurred);
  if (filter.since && occurred < sortableTime(filter.since)) return false;
  if (filter.until && occurred > sortableTime(filter.until)) return false;
  return true;
}
