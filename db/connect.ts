// Opens tripwire's database: SQLite (WAL) in the data folder by default, PostgreSQL when DATABASE_URL is set.
// Both sit behind the same Kysely instance, so repositories are written once.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { EventWriterThread } from './event-writer';
import { withStatementCache } from './statement-cache';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startWalCheckpointer } from './wal-checkpointer';
import type { Database } from './tables';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data lives, for start-up messages (a file path, or the URL without its password). */
  readonly location: string;
  /**
   * SQLite only: how many changes the webhooks table has seen, from any connection (migration 0002), so an
   * in-process cache can tell with one tiny read that what it holds may be stale. Undefined for PostgreSQL, where
   * nothing is cached.
   */
  readonly webhooksVersion?: () => number;
  /** SQLite only: the thread that runs the event feed's writes (db/event-writer.ts). */
  readonly eventWriter?: EventWriterThread;
  /** Resolves when a trivial query succeeds; rejects with the driver's error otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// PostgreSQL returns int8 (bigserial, count) as strings by default; our counters fit in a double.
pg.types.setTypeParser(20, (value: string) => Number(value));

/** Opens PostgreSQL when `databaseUrl` is given, otherwise SQLite at `<dataDir>/tripwire.sqlite`. */
export function openDb(options: { databaseUrl?: string; dataDir: string }): Db {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10, connectionTimeoutMillis: 5000 });
    // A client losing its server must not crash the process, whether it is idle (the pool's 'error') or checked out
    // between two statements (the client's own 'error', which pg leaves unhandled); the next query reports it.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return wrap(kysely, 'postgres', redactUrl(options.databaseUrl));
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, 'tripwire.sqlite');
  const { database, kysely } = openSqliteConnection(file);
  const checkpointer = startWalCheckpointer(file);
  const eventWriter = new EventWriterThread(file);
  let webhooksVersion: BetterSqlite3.Statement | undefined;
  return {
    ...wrap(kysely, 'sqlite', file, async () => {
      await eventWriter.stop();
      await checkpointer.stop();
    }),
    eventWriter,
    // Prepared on first use: the table exists only once the migrations ran.
    webhooksVersion: () =>
      (webhooksVersion ??= database.prepare('select version from webhook_changes').pluck()).get() as number,
  };
}

/** Opens one connection to the SQLite database at `file`, set up as every tripwire connection is. */
export function openSqliteConnection(file: string): { database: BetterSqlite3.Database; kysely: Kysely<Database> } {
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // Event-name and resource filters are case-sensitive globs; LIKE must be too (PostgreSQL's already is).
  database.pragma('case_sensitive_like = ON');
  // Checkpoints are the checkpointer thread's (db/wal-checkpointer.ts); this is only its safety net.
  database.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return { database, kysely };
}

function wrap(
  kysely: Kysely<Database>,
  dialect: Dialect,
  location: string,
  beforeClose: () => Promise<void> = async () => undefined,
): Db {
  return {
    kysely,
    dialect,
    location,
    ping: async () => {
      await sql`select 1`.execute(kysely);
    },
    close: async () => {
      await beforeClose();
      await kysely.destroy();
    },
  };
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres';
  }
}
