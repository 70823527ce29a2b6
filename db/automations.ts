// Automation records. Triggers and actions are stored as the validated JSON the API accepted, so what a user defined
// is what they read back; the registry and the trigger workflows parse nothing again.
import type { Kysely, Selectable } from 'kysely';
import type { Db } from './connect';
import type { AutomationsTable, Database } from './tables';

export interface AutomationRecord<Trigger = unknown, Action = unknown> {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  trigger: Trigger;
  actions: Action[];
  actions_on_trigger: Action[];
  actions_on_resolve: Action[];
  owner_resource: string | null;
  tags: string[];
  workflow_id: string;
  created: string;
  updated: string;
}

/** CRUD over the automations table. */
export class AutomationRepository {
  private readonly db: Kysely<Database>;

  constructor(handle: Db) {
    this.db = handle.kysely;
  }

  async create(record: AutomationRecord): Promise<void> {
    await this.db.insertInto('automations').values(toRow(record)).execute();
  }

  async list(options: { enabledOnly?: boolean; owner?: string } = {}): Promise<AutomationRecord[]> {
    let query = this.db.selectFrom('automations').selectAll().orderBy('created', 'asc').orderBy('id');
    if (options.enabledOnly) query = query.where('enabled', '=', 1);
    if (options.owner) query = query.where('owner_resource', '=', options.owner);
    return (await query.execute()).map(fromRow);
  }

  async get(id: string): Promise<AutomationRecord | undefined> {
    const row = await this.db.selectFrom('automations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Replaces every stored field of the automation `record.id`; returns false when it does not exist. */
  async replace(record: AutomationRecord): Promise<boolean> {
    const { id, created: _created, workflow_id: _workflowId, ...rest } = toRow(record);
    const result = await this.db.updateTable('automations').set(rest).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('automations').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Returns how many times the automations changed, from any process or connection (migration 0008's triggers): the
   * registry polls it to notice changes made elsewhere.
   */
  async version(): Promise<number> {
    const row = await this.db.selectFrom('automation_changes').select('version').executeTakeFirst();
    return Number(row?.version ?? 0);
  }
}

function toRow(record: AutomationRecord): AutomationsTable {
  return {
    ...record,
    enabled: record.enabled ? 1 : 0,
    trigger: JSON.stringify(record.trigger),
    actions: JSON.stringify(record.actions),
    actions_on_trigger: JSON.stringify(record.actions_on_trigger),
    actions_on_resolve: JSON.stringify(record.actions_on_resolve),
    tags: JSON.stringify(record.tags),
  };
}

function fromRow(row: Selectable<AutomationsTable>): AutomationRecord {
  return {
    ...row,
    enabled: row.enabled === 1,
    trigger: JSON.parse(row.trigger) as unknown,
    actions: JSON.parse(row.actions) as unknown[],
    actions_on_trigger: JSON.parse(row.actions_on_trigger) as unknown[],
    actions_on_resolve: JSON.parse(row.actions_on_resolve) as unknown[],
    tags: JSON.parse(row.tags) as string[],
  };
}
