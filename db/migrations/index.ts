// Versioned migrations, applied at start by every process that opens the database. Kysely's migrator keeps the
// applied list in a table and takes a lock, so two processes starting together apply each migration once.
import { type Kysely, type Migration, Migrator } from 'kysely';
import type { Db, Dialect } from '../connect';
import * as init from './0001-init';
import * as webhookChanges from './0002-webhook-changes';
import * as automationTags from './0003-automation-tags';
import * as sortableOccurred from './0004-sortable-occurred';
import * as webhookHandshakes from './0005-webhook-handshakes';
import * as flowRunTriggers from './0006-flow-run-triggers';
import * as outboxTrace from './0007-outbox-trace';
import * as replicas from './0008-replicas';
import * as deploymentExecution from './0009-deployment-execution';

type DialectMigration = { up(db: Kysely<unknown>, dialect: Dialect): Promise<void> };

const MIGRATIONS: Record<string, DialectMigration> = {
  '0001-init': init,
  '0002-webhook-changes': webhookChanges,
  '0003-automation-tags': automationTags,
  '0004-sortable-occurred': sortableOccurred,
  '0005-webhook-handshakes': webhookHandshakes,
  '0006-flow-run-triggers': flowRunTriggers,
  '0007-outbox-trace': outboxTrace,
  '0008-replicas': replicas,
  '0009-deployment-execution': deploymentExecution,
};

/** Thrown when a migration fails; `cause` holds the database's error. */
export class MigrationError extends Error {
  constructor(migration: string, cause: unknown) {
    super(`migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** Applies every migration not yet applied, in name order; returns the names it applied. */
export async function migrate(db: Db): Promise<string[]> {
  const migrations: Record<string, Migration> = Object.fromEntries(
    Object.entries(MIGRATIONS).map(([name, m]) => [name, { up: (k: Kysely<unknown>) => m.up(k, db.dialect) }]),
  );
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'tripwire_migrations',
    migrationLockTableName: 'tripwire_migrations_lock',
    // Each migration stands alone, so one that was merged after a later-numbered one (branches land in any order)
    // still runs, instead of the database being refused as corrupted.
    allowUnorderedMigrations: true,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((r) => r.status === 'Error');
  if (error || failed) throw new MigrationError(failed?.migrationName ?? 'unknown', error);
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
