// better-sqlite3 compiles SQL on every prepare(), and Kysely's SQLite driver prepares each query it runs: on the
// webhook hot path compiling cost more than executing. Statements are kept by their SQL text instead; Kysely always
// binds values as parameters, so the distinct texts are few (one per query shape and batch size).
import type { Database as BetterSqliteDatabase, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** How many prepared statements are kept; the least recently used one is finalized when more are needed. */
export const STATEMENT_CACHE_SIZE = 256;

/** Returns `database` as Kysely's SQLite dialect sees it, with prepared statements reused by SQL text. */
export function withStatementCache(database: BetterSqliteDatabase, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql); // re-inserted below as the most recently used
      } else {
        statement = database.prepare(sql);
        if (statements.size >= size) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
    close() {
      statements.clear();
      database.close();
    },
  };
}
