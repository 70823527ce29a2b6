// Telling an outage from a bug: the errors real drivers raise when the database is gone or refusing work count as
// outages (answered 503), and the errors of a wrong call do not (answered 500), on SQLite and PostgreSQL.
import { sql } from 'kysely';
import pg from 'pg';
import { openDb } from '../../db/connect';
import { EventRepository } from '../../db/events';
import { isDatabaseOutage } from '../../db/outage';
import { createTestDb, DIALECTS } from '../helpers/db';
import { makeEvent } from '../helpers/factories';
import { freePort } from '../helpers/ports';

const failure = async (call: () => Promise<unknown>): Promise<unknown> => {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
};

describe.each(DIALECTS)('database outages on %s', (dialect) => {
  it('counts a closed database as an outage, for reads and for writes', async () => {
    const t = await createTestDb(dialect);
    const events = new EventRepository(t.db);
    await t.db.close();
    try {
      expect(isDatabaseOutage(await failure(() => events.list({}, 10)))).toBe(true);
      expect(isDatabaseOutage(await failure(() => events.insert([makeEvent()])))).toBe(true);
    } finally {
      await t.drop();
    }
  });

  it('does not count a wrong statement, a broken constraint or a programming error', async () => {
    const t = await createTestDb(dialect);
    try {
      expect(isDatabaseOutage(await failure(() => sql`selec 1`.execute(t.db.kysely)))).toBe(false);
      const row = { id: 'dup', occurred: 'x', received: 'x', event: 'x', resource_id: 'x', body: '{}' };
      await t.db.kysely.insertInto('events').values(row).execute();
      expect(isDatabaseOutage(await failure(() => t.db.kysely.insertInto('events').values(row).execute()))).toBe(false);
      expect(isDatabaseOutage(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    } finally {
      await t.drop();
    }
  });
});

describe('PostgreSQL outages', () => {
  it('counts an unreachable server as an outage', async () => {
    const db = openDb({ databaseUrl: `postgres://nobody@127.0.0.1:${await freePort()}/none`, dataDir: '/tmp' });
    try {
      expect(isDatabaseOutage(await failure(() => new EventRepository(db).list({}, 1)))).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('survives the server ending a connection between two statements, and counts that as an outage', async () => {
    // pg emits 'error' on a checked-out client that loses its server while no query runs; unhandled, it ended the
    // process. The admin connection plays the server restarting.
    const t = await createTestDb('postgres');
    const admin = new pg.Client({ connectionString: t.databaseUrl });
    await admin.connect();
    try {
      const error = await failure(() =>
        t.db.kysely.transaction().execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
          await new Promise((resolve) => setTimeout(resolve, 100)); // the client hears its connection end, idle
          await sql`select 1`.execute(trx);
        }),
      );
      expect(isDatabaseOutage(error)).toBe(true);
      expect(await new EventRepository(t.db).latestSeq()).toBe(0); // the pool replaced the dead connection
    } finally {
      await admin.end();
      await t.drop();
    }
  });
});
