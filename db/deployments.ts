// Deployment records: a named, parameterised flow (a workflow or a plain function in an entrypoint file, or a workflow
// type an external worker registers) on a work pool.
import type { Kysely, Selectable } from 'kysely';
import type { EntrypointType, WorkPoolType } from '../core/deployments/schema';
import type { Db } from './connect';
import type { Database, DeploymentsTable } from './tables';

export interface DeploymentRecord {
  id: string;
  name: string;
  description: string;
  /** `path/to/flow.ts:exportedFn`, relative to `base_dir` unless absolute; a bare workflow type on external pools. */
  entrypoint: string;
  entrypoint_type: EntrypointType;
  /** The module whose exported functions the pool worker registers as activities (relative to `base_dir`). */
  activities: string | null;
  work_pool: string;
  work_pool_type: WorkPoolType;
  parameters: Record<string, unknown>;
  parameter_schema: Record<string, unknown> | null;
  tags: string[];
  base_dir: string;
  /** Prefect's flow retries: how often a failed run is tried again, and how long it waits in between. */
  retries: number;
  retry_delay_seconds: number;
  /** Longest one attempt of a run may take; null for no limit. */
  timeout_seconds: number | null;
  created: string;
  updated: string;
}

/** CRUD over the deployments table; names are unique. */
export class DeploymentRepository {
  private readonly db: Kysely<Database>;

  constructor(handle: Db) {
    this.db = handle.kysely;
  }

  /** Inserts or replaces by name, keeping the id and `created` of an existing deployment; returns the stored record. */
  async upsert(record: DeploymentRecord): Promise<DeploymentRecord> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('deployments')
        .select(['id', 'created'])
        .where('name', '=', record.name)
        .executeTakeFirst();
      const stored = existing ? { ...record, id: existing.id, created: existing.created } : record;
      const row = toRow(stored);
      if (existing) {
        const { id, created: _created, ...rest } = row;
        await tx.updateTable('deployments').set(rest).where('id', '=', id).execute();
      } else {
        await tx.insertInto('deployments').values(row).execute();
      }
      return stored;
    });
  }

  async list(workPool?: string): Promise<DeploymentRecord[]> {
    let query = this.db.selectFrom('deployments').selectAll().orderBy('name');
    if (workPool) query = query.where('work_pool', '=', workPool);
    return (await query.execute()).map(fromRow);
  }

  async getByName(name: string): Promise<DeploymentRecord | undefined> {
    const row = await this.db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async get(id: string): Promise<DeploymentRecord | undefined> {
    const row = await this.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('deployments').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toRow(record: DeploymentRecord): DeploymentsTable {
  return {
    ...record,
    parameters: JSON.stringify(record.parameters),
    parameter_schema: record.parameter_schema ? JSON.stringify(record.parameter_schema) : null,
    tags: JSON.stringify(record.tags),
  };
}

function fromRow(row: Selectable<DeploymentsTable>): DeploymentRecord {
  return {
    ...row,
    entrypoint_type: row.entrypoint_type as EntrypointType,
    work_pool_type: row.work_pool_type as WorkPoolType,
    retries: Number(row.retries),
    retry_delay_seconds: Number(row.retry_delay_seconds),
    timeout_seconds: row.timeout_seconds === null ? null : Number(row.timeout_seconds),
    parameters: JSON.parse(row.parameters) as Record<string, unknown>,
    parameter_schema: row.parameter_schema ? (JSON.parse(row.parameter_schema) as Record<string, unknown>) : null,
    tags: JSON.parse(row.tags) as string[],
  };
}
