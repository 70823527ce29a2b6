// The event feed's storage: events with their related resources, and the outbox that carries an event to the
// trigger workflows. An event and its outbox row are written in one transaction, which is what makes a 204 durable.
import { type Kysely, sql } from 'kysely';
import type { ReceivedEvent } from '../events/schema';
import type { Db } from './connect';
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
}

/** Events, their related resources and the routing outbox, over either database. */
export class EventRepository {
  private readonly db: Kysely<Database>;

  constructor(private readonly handle: Db) {
    this.db = handle.kysely;
  }

  /**
   * Stores `events` (ignoring ids already stored) and, for those in `route`, an outbox row, all in one transaction.
   * Returns the events that were new.
   */
  async insert(events: ReceivedEvent[], route: ReadonlySet<string> = new Set()): Promise<ReceivedEvent[]> {
    if (events.length === 0) return [];
    return this.db.transaction().execute(async (tx) => {
      const fresh: ReceivedEvent[] = [];
      for (const chunk of chunks(dedupeById(events), 200)) {
        // One statement both de-duplicates and inserts: ids already stored are skipped and not returned.
        const inserted = await tx
          .insertInto('events')
          .values(
            chunk.map((e) => ({
              id: e.id,
              occurred: e.occurred,
              received: e.received,
              event: e.event,
              resource_id: e.resource['prefect.resource.id'] ?? '',
              body: JSON.stringify(e),
            })),
          )
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .execute();
        if (inserted.length === 0) continue;
        const ids = new Set(inserted.map((row) => row.id));
        const stored = inserted.length === chunk.length ? chunk : chunk.filter((e) => ids.has(e.id));
        fresh.push(...stored);
        const related = stored.flatMap((e) =>
          e.related.map((r) => ({
            event_id: e.id,
            resource_id: r['prefect.resource.id'] ?? '',
            role: r['prefect.resource.role'] ?? '',
          })),
        );
        for (const part of chunks(related, 300)) await tx.insertInto('event_resources').values(part).execute();
        const outbox = stored
          .filter((e) => route.has(e.id))
          .map((e) => ({
            event_id: e.id,
            enqueued_at: e.received,
            available_at: e.received,
            attempts: 0,
            last_error: null,
          }));
        if (outbox.length > 0) await tx.insertInto('event_outbox').values(outbox).execute();
      }
      return fresh;
    });
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

  /** Deletes up to `batch` events received before `cutoff` (ISO); returns how many it deleted. */
  async prune(cutoff: string, batch = 5000): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const ids = (
        await tx
          .selectFrom('events')
          .select('id')
          .where('received', '<', cutoff)
          // An event still waiting in the outbox has not reached its triggers yet: keep it.
          .where((eb) =>
            eb.not(
              eb.exists(
                eb.selectFrom('event_outbox').select('event_id').whereRef('event_outbox.event_id', '=', 'events.id'),
              ),
            ),
          )
          .limit(batch)
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      await tx.deleteFrom('event_resources').where('event_id', 'in', ids).execute();
      await tx.deleteFrom('events').where('id', 'in', ids).execute();
      return ids.length;
    });
  }

  /** Returns up to `limit` outbox entries due by `now`, oldest first. */
  async dueOutbox(now: string, limit: number): Promise<OutboxEntry[]> {
    const rows = await this.db
      .selectFrom('event_outbox')
      .innerJoin('events', 'events.id', 'event_outbox.event_id')
      .select(['events.seq', 'events.body', 'event_outbox.attempts'])
      .where('event_outbox.available_at', '<=', now)
      .orderBy('event_outbox.enqueued_at', 'asc')
      .orderBy('events.seq', 'asc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ seq: row.seq, event: JSON.parse(row.body) as ReceivedEvent, attempts: row.attempts }));
  }

  /** Removes delivered entries from the outbox. */
  async completeOutbox(eventIds: string[]): Promise<void> {
    for (const part of chunks(eventIds, 500)) {
      await this.db.deleteFrom('event_outbox').where('event_id', 'in', part).execute();
    }
  }

  /** Postpones entries after a failed delivery, recording why. */
  async retryOutbox(eventIds: string[], availableAt: string, error: string): Promise<void> {
    for (const part of chunks(eventIds, 500)) {
      await this.db
        .updateTable('event_outbox')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          available_at: availableAt,
          last_error: error.slice(0, 2000),
        }))
        .where('event_id', 'in', part)
        .execute();
    }
  }

  /** Holds entries back until `availableAt` without counting a failed attempt (a follower waiting for its leader). */
  async postponeOutbox(eventIds: string[], availableAt: string): Promise<void> {
    for (const part of chunks(eventIds, 500)) {
      await this.db
        .updateTable('event_outbox')
        .set({ available_at: availableAt })
        .where('event_id', 'in', part)
        .execute();
    }
  }

  /** Returns how many events wait in the outbox, for health and benchmarks. */
  async outboxSize(): Promise<number> {
    const row = await this.db
      .selectFrom('event_outbox')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirst();
    return Number(row?.count ?? 0);
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
    if (filter.since) query = query.where('events.occurred', '>=', filter.since);
    if (filter.until) query = query.where('events.occurred', '<=', filter.until);
    return query;
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

function dedupeById(events: ReceivedEvent[]): ReceivedEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
