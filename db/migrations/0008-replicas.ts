// What several api processes on one PostgreSQL need to agree on. The router's lease (db/leases.ts): one row per lease,
// whose expiry is measured on the database's clock, so replicas with different clocks still agree on who holds it.
// A counter of changes to the automations, kept by triggers, which the registry polls (services/automations/
// registry.ts): the count and newest `updated` it polled before missed a create and a delete in the same second, and
// an automation created by a replica whose clock lags the others. On PostgreSQL the trigger also sends a
// notification, so the other processes reload at once instead of at their next poll. SQLite is one process, so it
// gets the counter (its registry reads it too) but no leases.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await sql`create table if not exists automation_changes (id integer primary key check (id = 1), version bigint not null)`.execute(
    db,
  );
  await sql`insert into automation_changes (id, version) values (1, 0) on conflict do nothing`.execute(db);

  if (dialect === 'sqlite') {
    for (const operation of ['insert', 'update', 'delete']) {
      await sql
        .raw(
          `create trigger if not exists automations_after_${operation} after ${operation} on automations ` +
            'begin update automation_changes set version = version + 1 where id = 1; end',
        )
        .execute(db);
    }
    return;
  }

  await sql
    .raw(
      `create or replace function tripwire_automations_changed() returns trigger language plpgsql as $$
       begin
         update automation_changes set version = version + 1 where id = 1;
         perform pg_notify('tripwire_automations', '');
         return null;
       end $$`,
    )
    .execute(db);
  await sql`drop trigger if exists automations_changed on automations`.execute(db);
  await sql
    .raw(
      'create trigger automations_changed after insert or update or delete on automations ' +
        'for each statement execute function tripwire_automations_changed()',
    )
    .execute(db);

  await sql`create table if not exists leases (name text primary key, owner text not null, expires_ms bigint not null)`.execute(
    db,
  );
}
