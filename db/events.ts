// The event feed's storage: events with their related resources, and the outbox that carries an event to the
// trigger workflows. Reads run here; writes go through db/event-writes.ts, on SQLite's writer thread when there is one.
import { type Kysely, sql } from 'kysely';
import type { ReceivedEvent } from '../core/events/schema';
import type { Db } from './connect';
import { chunks, dedupeById, eventRow, type EventWriteApi, EventWrites } from './event-writes';
import { occurredSince, occurredUntil } from './occurred-bounds';
import { globToLike, isLiteral } from './sql-patterns';
import type { Database } from './tables';

export interface EventFilter {
  /** Event-name globs, any of which may match. */
  event?: string[];
  /** Primary-resource-id globs, any of which may match. */
  resource?: string[];
  /** Exact id of a related resource. */
  related?: string;
  /** ISO times bounding `occurred`, inclusive. */
  since?: string;
  until?: string;
}

export interface StoredEvent {
  seq: number;
  event: ReceivedEvent;
}

export interface OutboxEntry {
  seq: number;
  event: ReceivedEvent;
  attempts: number;
  /** The traceparent of the request that stored the event, when tracing was on. */
  trace?: string;
}

/** Events, their related resources and the routing outbox, over either database. */
export class EventRepository {
  private readonly db: Kysely<Database>;
  private readonly writes: EventWriteApi;

  constructor(private readonly handle: Db) {
    this.db = handle.kysely;
    this.writes = handle.eventWriter ?? new EventWrites(handle.kysely, handle.dialect === 'postgres');
  }

  /**
   * Stores `events` (ignoring ids already stored) and, for those in `route`, an outbox row, all in one transaction.
   * Returns the events that were new.
   */
  async insert(
    events: ReceivedEvent[],
    route: ReadonlySet<string> = new Set(),
    traces?: ReadonlyMap<string, string>,
  ): Promise<ReceivedEvent[]> {
    if (events.length === 0) return [];
    const unique = dedupeById(events);
    const fresh = new Set(await this.writes.insert(unique.map((e) => eventRow(e, route.has(e.id), traces?.get(e.id)))));
    return unique.filter((e) => fresh.has(e.id));
  }

  /** Deletes up to `batch` events received before `cutoff` (ISO); returns how many it deleted. */
  prune(cutoff: string, batch = 5000): Promise<number> {
    return this.writes.prune(cutoff, batch);
  }

  /** Removes delivered entries from the outbox. */
  completeOutbox(eventIds: string[]): Promise<void> {
    return this.writes.completeOutbox(eventIds);
  }

  /** Postpones entries after a failed delivery, recording why. */
  retryOutbox(eventIds: string[], availableAt: string, error: string): Promise<void> {
    return this.writes.retryOutbox(eventIds, availableAt, error);
  }

  /**
   * Makes the entries waiting out the backoff of a failed delivery due at `now` (ISO): a process that takes over the
   * routing tries them at once, before newer entries for the same workflows.
   */
  retryOutboxNow(now: string): Promise<void> {
    return this.writes.retryOutboxNow(now);
  }

  /** Holds entries back until `availableAt` without counting a failed attempt (a follower waiting for its leader). */
  postponeOutbox(eventIds: string[], availableAt: string): Promise<void> {
    return this.writes.postponeOutbox(eventIds, availableAt);
  }

  /** Returns the event with `id`, or undefined. */
  async get(id: string): Promise<ReceivedEvent | undefined> {
    const row = await this.db.selectFrom('events').select('body').where('id', '=', id).executeTakeFirst();
    return row ? (JSON.parse(row.body) as ReceivedEvent) : undefined;
  }

  /** Returns the stored events among `ids` (in no particular order). */
  async getMany(ids: string[]): Promise<ReceivedEvent[]> {
    const out: ReceivedEvent[] = [];
    for (const part of chunks(ids, 500)) {
      const rows = await this.db.selectFrom('events').select('body').where('id', 'in', part).execute();
      for (const row of rows) out.push(JSON.parse(row.body) as ReceivedEvent);
    }
    return out;
  }

  /** Returns up to `limit` events matching `filter`, newest first, older than the cursor `beforeSeq`. */
  async list(filter: EventFilter, limit: number, beforeSeq?: number): Promise<StoredEvent[]> {
    let query = this.filtered(filter).orderBy('events.seq', 'desc').limit(limit);
    if (beforeSeq !== undefined) query = query.where('events.seq', '<', beforeSeq);
    const rows = await query.execute();
    return rows.map((row) => ({ seq: row.seq, event: JSON.parse(row.body) as ReceivedEvent }));
  }

  /** Returns up to `limit` events matching `filter` stored after `afterSeq`, oldest first (for live tails). */
  async after(filter: EventFilter, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.filtered(filter)
      .where('events.seq', '>', afterSeq)
      .orderBy('events.seq', 'asc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ seq: row.seq, event: JSON.parse(row.body) as ReceivedEvent }));
  }

  /** Returns the stored events among the sequence numbers `seqs`, in sequence order. */
  async bySeq(seqs: number[]): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for (const part of chunks(seqs, 500)) {
      const rows = await this.db
        .selectFrom('events')
        .select(['seq', 'body'])
        .where('seq', 'in', part)
        .orderBy('seq', 'asc')
        .execute();
      for (const row of rows) out.push({ seq: Number(row.seq), event: JSON.parse(row.body) as ReceivedEvent });
    }
    return out;
  }

  /** Returns the sequence number of the newest stored event (0 when there are none). */
  async latestSeq(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('max'))
      .executeTakeFirst();
    return Number(row?.max ?? 0);
  }

  /** Returns the seq of the event with `id`, for resuming a tail from an event id. */
  async seqOf(id: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('events').select('seq').where('id', '=', id).executeTakeFirst();
    return row?.seq;
  }

  /** Returns up to `limit` outbox entries due by `now`, oldest first. */
  async dueOutbox(now: string, limit: number): Promise<OutboxEntry[]> {
    const rows = await this.db
      .selectFrom('event_outbox')
      .innerJoin('events', 'events.id', 'event_outbox.event_id')
      .select(['events.seq', 'events.body', 'event_outbox.attempts', 'event_outbox.trace'])
      .where('event_outbox.available_at', '<=', now)
      .orderBy('event_outbox.enqueued_at', 'asc')
      .orderBy('events.seq', 'asc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      seq: row.seq,
      event: JSON.parse(row.body) as ReceivedEvent,
      attempts: row.attempts,
      ...(row.trace ? { trace: row.trace } : {}),
    }));
  }

  /**
   * Returns how many events wait in the outbox and when the oldest was enqueued (null when empty), in one scan: the
   * router's lag, for /readyz.
   */
  async outboxLag(): Promise<{ depth: number; oldestEnqueuedAt: string | null }> {
    const row = await this.db
      .selectFrom('event_outbox')
      .select((eb) => [eb.fn.countAll<number>().as('depth'), eb.fn.min('enqueued_at').as('oldest')])
      .executeTakeFirst();
    return { depth: Number(row?.depth ?? 0), oldestEnqueuedAt: (row?.oldest as string | null | undefined) ?? null };
  }

  /** Returns how many events wait in the outbox, for health and benchmarks. */
  async outboxSize(): Promise<number> {
    return (await this.outboxStats()).size;
  }

  /** Returns how many events wait in the outbox and when the oldest of them entered it (for /metrics). */
  async outboxStats(): Promise<{ size: number; oldestEnqueuedAt: string | undefined }> {
    const row = await this.db
      .selectFrom('event_outbox')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('enqueued_at').as('oldest')])
      .executeTakeFirst();
    return { size: Number(row?.count ?? 0), oldestEnqueuedAt: row?.oldest ?? undefined };
  }

  private filtered(filter: EventFilter) {
    let query = this.db.selectFrom('events').select(['events.seq', 'events.body']);
    if (filter.event?.length) query = query.where(anyGlob('events.event', filter.event));
    if (filter.resource?.length) query = query.where(anyGlob('events.resource_id', filter.resource));
    if (filter.related) {
      const related = filter.related;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('event_resources')
            .select('event_resources.event_id')
            .whereRef('event_resources.event_id', '=', 'events.id')
            .where('event_resources.resource_id', '=', related),
        ),
      );
    }
    if (filter.since) query = query.where(occurredSince(filter.since));
    if (filter.until) query = query.where(occurredUntil(filter.until));
    return query;
  }

  /** True when writes are applied one after another in the order issued (SQLite's writer thread). */
  get writesInOrder(): boolean {
    return this.handle.eventWriter !== undefined;
  }

  get dialect() {
    return this.handle.dialect;
  }
}

function anyGlob(column: 'events.event' | 'events.resource_id', globs: string[]) {
  return sql<boolean>`(${sql.join(
    globs.map((glob) =>
      isLiteral(glob)
        ? sql`${sql.ref(column)} = ${glob}`
        : sql`${sql.ref(column)} like ${globToLike(glob)} escape '\\'`,
    ),
    sql` or `,
  )})`;
}
