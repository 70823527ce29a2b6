// Fresh databases for integration tests: a SQLite file in its own folder, or a new PostgreSQL database on the
// cluster global-setup started. `DIALECTS` lets a suite run once per database.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Db, type Dialect, openDb } from '../../db/connect';
import { eventRow } from '../../db/event-writes';
import { migrate } from '../../db/migrations/index';
import type { ReceivedEvent } from '../../core/events/schema';

export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export interface TestDb {
  db: Db;
  /** DATABASE_URL for postgres, or the data folder for sqlite: what a tripwire process needs to open it. */
  databaseUrl?: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** Creates an empty, migrated database of `dialect`. */
export async function createTestDb(dialect: Dialect): Promise<TestDb> {
  const dataDir = fs.mkdtempSync(path.join(process.env.TRIPWIRE_TEST_TMP ?? os.tmpdir(), 'db-'));
  if (dialect === 'sqlite') {
    const db = openDb({ dataDir });
    await migrate(db);
    return {
      db,
      dataDir,
      drop: async () => {
        await db.close().catch(() => undefined);
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const adminUrl = process.env.TRIPWIRE_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TRIPWIRE_TEST_DATABASE_URL is not set: run integration tests through jest');
  const name = `tripwire_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const db = openDb({ databaseUrl, dataDir });
  await migrate(db);
  return {
    db,
    databaseUrl,
    dataDir,
    drop: async () => {
      await db.close().catch(() => undefined);
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Stores `event` in a transaction that stays open until `commit()`. Its sequence number is taken when this resolves,
 * but it becomes visible only on commit, after events stored meanwhile: PostgreSQL's late commit.
 */
export async function insertCommittingLater(db: Db, event: ReceivedEvent): Promise<{ commit(): Promise<void> }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let inserted!: () => void;
  const insertDone = new Promise<void>((resolve) => (inserted = resolve));
  const { related: _related, routed: _routed, ...columns } = eventRow(event, false);
  const transaction = db.kysely.transaction().execute(async (trx) => {
    await trx.insertInto('events').values(columns).execute();
    inserted();
    await gate;
  });
  await Promise.race([insertDone, transaction]);
  return {
    commit: async () => {
      release();
      await transaction;
    },
  };
}
