// The writes of the event feed's storage, apart from its reads: on SQLite they run on the event writer thread
// (db/event-writer.ts), on PostgreSQL in the caller's process. An event and its outbox row are written in one
// transaction, which is what makes a 204 durable.
import type { Kysely } from 'kysely';
import type { ReceivedEvent } from '../core/events/schema';
import { sortableTime } from '../core/events/timestamp';
import type { Database, EventsTable } from './tables';

/**
 * An event ready to store: its columns, its JSON, its related resources as [id, role] pairs, and whether it enters the
 * outbox. Flat strings, so handing a batch to the writer thread copies text instead of cloning nested objects.
 */
export interface EventRow extends Omit<EventsTable, 'seq'> {
  related: [string, string][];
  routed: boolean;
  /** The traceparent its outbox row carries, if any. */
  trace?: string;
}

/** Returns the row of `event`; a routed event's outbox row carries `trace` when given. */
export function eventRow(event: ReceivedEvent, routed: boolean, trace?: string): EventRow {
  return {
    id: event.id,
    occurred: sortableTime(event.occurred),
    received: event.received,
    event: event.event,
    resource_id: event.resource['prefect.resource.id'] ?? '',
    body: JSON.stringify(event),
    related: event.related.map((r) => [r['prefect.resource.id'] ?? '', r['prefect.resource.role'] ?? '']),
    routed,
    ...(routed && trace !== undefined ? { trace } : {}),
  };
}

/** The writes, as both the local implementation and the writer thread's client offer them. */
export interface EventWriteApi {
  insert(rows: EventRow[]): Promise<string[]>;
  prune(cutoff: string, batch: number): Promise<number>;
  completeOutbox(eventIds: string[]): Promise<void>;
  retryOutbox(eventIds: string[], availableAt: string, error: string): Promise<void>;
  postponeOutbox(eventIds: string[], availableAt: string): Promise<void>;
  retryOutboxNow(now: string): Promise<void>;
}

/** The writes, run on `db`. */
export class EventWrites implements EventWriteApi {
  /**
   * `skipLocked` (PostgreSQL, shared by several processes): pruning passes over rows another process is pruning at
   * the same moment, so two processes' retention runs split the work instead of waiting on (or deadlocking over)
   * each other's deletions.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly skipLocked = false,
  ) {}

  /**
   * Stores `rows` (ignoring ids already stored) with their related resources and, where `routed`, an outbox row, all
   * in one transaction. Returns the ids that were new.
   */
  async insert(rows: EventRow[]): Promise<string[]> {
    if (rows.length === 0) return [];
    return this.db.transaction().execute((tx) => insertEventRows(tx, rows));
  }

  /** Deletes up to `batch` events received before `cutoff` (ISO); returns how many it deleted. */
  async prune(cutoff: string, batch: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const candidates = tx
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
        .limit(batch);
      const ids = (await (this.skipLocked ? candidates.forUpdate().skipLocked() : candidates).execute()).map(
        (r) => r.id,
      );
      if (ids.length === 0) return 0;
      await tx.deleteFrom('event_resources').where('event_id', 'in', ids).execute();
      await tx.deleteFrom('events').where('id', 'in', ids).execute();
      return ids.length;
    });
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

  /** Makes the entries waiting out the backoff of a failed delivery due at `now`. */
  async retryOutboxNow(now: string): Promise<void> {
    await this.db
      .updateTable('event_outbox')
      .set({ available_at: now })
      .where('available_at', '>', now)
      .where('attempts', '>', 0)
      .execute();
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
}

/**
 * Stores `rows` (ignoring ids already stored) with their related resources and, where `routed`, an outbox row, inside
 * the caller's transaction `tx`. Returns the ids that were new. Flow-run records store their state events this way, in
 * the transaction that changes the run.
 */
export async function insertEventRows(tx: Kysely<Database>, rows: EventRow[]): Promise<string[]> {
  const fresh: string[] = [];
  for (const chunk of chunks(rows, 200)) {
    // One statement both de-duplicates and inserts: ids already stored are skipped and not returned.
    const inserted = await tx
      .insertInto('events')
      .values(chunk.map(({ related: _related, routed: _routed, trace: _trace, ...columns }) => columns))
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    if (inserted.length === 0) continue;
    const ids = new Set(inserted.map((row) => row.id));
    const stored = inserted.length === chunk.length ? chunk : chunk.filter((row) => ids.has(row.id));
    fresh.push(...stored.map((row) => row.id));
    const related = stored.flatMap((row) =>
      row.related.map(([resourceId, role]) => ({ event_id: row.id, resource_id: resourceId, role })),
    );
    for (const part of chunks(related, 300)) await tx.insertInto('event_resources').values(part).execute();
    const outbox = stored
      .filter((row) => row.routed)
      .map((row) => ({
        event_id: row.id,
        enqueued_at: row.received,
        available_at: row.received,
        attempts: 0,
        last_error: null,
        trace: row.trace ?? null,
      }));
    if (outbox.length > 0) await tx.insertInto('event_outbox').values(outbox).execute();
  }
  return fresh;
}

/** Returns `events` without later repeats of an id. */
export function dedupeById(events: ReceivedEvent[]): ReceivedEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}

/** Returns `items` in consecutive slices of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
