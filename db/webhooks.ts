// Webhook records. The slug is the only secret in a webhook URL, so lookups by slug are the hot path of ingress.
import type { Kysely, Selectable } from 'kysely';
import type { Db } from './connect';
import type { Database, WebhooksTable } from './tables';

export interface WebhookVerification {
  type: 'github' | 'stripe' | 'standard-webhooks' | 'hmac';
  secret: string;
  header?: string;
  tolerance_seconds?: number;
}

export interface WebhookRecord {
  id: string;
  name: string;
  description: string;
  template: string;
  enabled: boolean;
  slug: string;
  verification: WebhookVerification | null;
  created: string;
  updated: string;
}

export type WebhookChanges = Partial<
  Pick<WebhookRecord, 'name' | 'description' | 'template' | 'enabled' | 'slug' | 'verification'>
>;

/** CRUD over the webhooks table. */
export class WebhookRepository {
  private readonly db: Kysely<Database>;

  constructor(handle: Db) {
    this.db = handle.kysely;
  }

  async create(record: WebhookRecord): Promise<WebhookRecord> {
    await this.db.insertInto('webhooks').values(toRow(record)).execute();
    return record;
  }

  async list(): Promise<WebhookRecord[]> {
    const rows = await this.db.selectFrom('webhooks').selectAll().orderBy('created', 'asc').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async get(id: string): Promise<WebhookRecord | undefined> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async getBySlug(slug: string): Promise<WebhookRecord | undefined> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Applies `changes` and stamps `updated`; returns the new record, or undefined when `id` is unknown. */
  async update(id: string, changes: WebhookChanges, updated: string): Promise<WebhookRecord | undefined> {
    const set: Partial<WebhooksTable> = { updated };
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.template !== undefined) set.template = changes.template;
    if (changes.enabled !== undefined) set.enabled = changes.enabled ? 1 : 0;
    if (changes.slug !== undefined) set.slug = changes.slug;
    if (changes.verification !== undefined) {
      set.verification = changes.verification === null ? null : JSON.stringify(changes.verification);
    }
    const result = await this.db.updateTable('webhooks').set(set).where('id', '=', id).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.get(id);
  }

  /** Returns true when a webhook was deleted. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toRow(record: WebhookRecord): WebhooksTable {
  return {
    ...record,
    enabled: record.enabled ? 1 : 0,
    verification: record.verification ? JSON.stringify(record.verification) : null,
  };
}

function fromRow(row: Selectable<WebhooksTable>): WebhookRecord {
  return {
    ...row,
    enabled: row.enabled === 1,
    verification: row.verification ? (JSON.parse(row.verification) as WebhookVerification) : null,
  };
}
