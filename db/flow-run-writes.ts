// The writes of flow-run records: a run and its state changes, each stored in one transaction with its
// `prefect.flow-run.*` events (and their outbox rows). On SQLite they run on the event writer thread, on the connection
// that writes every other event, so the two never contend for SQLite's write lock (a read-then-write transaction on a
// second connection failed with `database is locked` whenever an event commit came in between, and was retried).
import type { Kysely } from 'kysely';
import { type EventRow, insertEventRows } from './event-writes';
import type { Database, FlowRunsTable } from './tables';

/** The columns a state change sets. */
export type FlowRunStateColumns = Partial<Omit<FlowRunsTable, 'id'>>;

/** The writes, as both the local implementation and the writer thread's client offer them. */
export interface FlowRunWriteApi {
  /**
   * Inserts `run` with `events`, unless a run with its id or idempotency key exists (then nothing is written).
   * Returns whether it was inserted.
   */
  insertRun(run: FlowRunsTable, events: EventRow[]): Promise<boolean>;
  /**
   * Sets `columns` on run `id` if its current state is still `expectedStateId`, and stores `events` with it. Returns
   * false (writing nothing) when the state moved meanwhile: the caller reads the run again and decides anew.
   */
  updateRunState(
    id: string,
    expectedStateId: string,
    columns: FlowRunStateColumns,
    events: EventRow[],
  ): Promise<boolean>;
}

/** The writes, run on `db`. */
export class FlowRunWrites implements FlowRunWriteApi {
  constructor(private readonly db: Kysely<Database>) {}

  async insertRun(run: FlowRunsTable, events: EventRow[]): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('flow_runs')
        .values(run)
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .execute();
      if (inserted.length === 0) return false;
      await insertEventRows(tx, events);
      return true;
    });
  }

  async updateRunState(
    id: string,
    expectedStateId: string,
    columns: FlowRunStateColumns,
    events: EventRow[],
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('flow_runs')
        .set(columns)
        .where('id', '=', id)
        .where('state_id', '=', expectedStateId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await insertEventRows(tx, events);
      return true;
    });
  }
}
