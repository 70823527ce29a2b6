// Named leases in PostgreSQL: a lease is held by one owner until it expires, and only its owner may renew it before
// then. Expiry is measured on the database's clock, so processes whose clocks disagree still agree on who holds it.
// SQLite serves one process and takes no leases (migration 0008 creates the table on PostgreSQL only).
import { type Kysely, sql } from 'kysely';
import type { Db } from './connect';
import type { Database } from './tables';

/** Milliseconds since the epoch on the database server's clock. */
const dbNowMs = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** Thrown when leases are used on SQLite, which serves a single process and needs none. */
export class LeasesUnsupportedError extends Error {
  constructor() {
    super('leases need PostgreSQL: SQLite serves one tripwire process');
    this.name = 'LeasesUnsupportedError';
  }
}

/** Takes, renews and gives back leases. */
export class LeaseRepository {
  private readonly db: Kysely<Database>;

  constructor(handle: Db) {
    if (handle.dialect !== 'postgres') throw new LeasesUnsupportedError();
    this.db = handle.kysely;
  }

  /**
   * Takes the lease `name` for `owner` until `ttlMs` from now, when it is free, expired or already `owner`'s (then
   * this renews it). Returns true when `owner` holds it now.
   */
  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const row = await this.db
      .insertInto('leases')
      .values({ name, owner, expires_ms: sql<number>`${dbNowMs} + ${Math.round(ttlMs)}` })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet((eb) => ({ owner: eb.ref('excluded.owner'), expires_ms: eb.ref('excluded.expires_ms') }))
          .where((eb) => eb.or([eb('leases.owner', '=', owner), eb('leases.expires_ms', '<', dbNowMs)])),
      )
      .returning('owner')
      .executeTakeFirst();
    return row?.owner === owner;
  }

  /** Gives the lease back at once if `owner` holds it, so another process need not wait for it to expire. */
  async release(name: string, owner: string): Promise<void> {
    await this.db
      .updateTable('leases')
      .set({ expires_ms: 0 })
      .where('name', '=', name)
      .where('owner', '=', owner)
      .execute();
  }

  /** Returns who holds `name` and for how much longer, or undefined when nobody does. */
  async holder(name: string): Promise<{ owner: string; remainingMs: number } | undefined> {
    const row = await this.db
      .selectFrom('leases')
      .select(['owner', sql<number>`expires_ms - ${dbNowMs}`.as('remaining')])
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row || Number(row.remaining) <= 0) return undefined;
    return { owner: row.owner, remainingMs: Number(row.remaining) };
  }
}
