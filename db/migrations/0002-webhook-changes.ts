// A counter of changes to the webhooks table, kept by SQLite triggers, so that a process caching webhooks by slug can
// tell with one tiny read whether any connection (another process, or its own event writer thread) changed them.
// PostgreSQL needs none: nothing is cached there.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`create table webhook_changes (id integer primary key check (id = 1), version integer not null)`.execute(db);
  await sql`insert into webhook_changes (id, version) values (1, 0)`.execute(db);
  for (const operation of ['insert', 'update', 'delete']) {
    await sql
      .raw(
        `create trigger webhooks_after_${operation} after ${operation} on webhooks ` +
          'begin update webhook_changes set version = version + 1 where id = 1; end',
      )
      .execute(db);
  }
}
