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

/** Subscription handshakes a webhook answers itself (services/webhooks/handshakes.ts). */
export const WEBHOOK_HANDSHAKES = ['event-grid', 'cloudevents', 'slack'] as const;
export type WebhookHandshake = (typeof WEBHOOK_HANDSHAKES)[number];

export interface WebhookRecord {
  id: string;
  name: string;
  description: string;
  template: string;
  enabled: boolean;
  slug: string;
  verification: WebhookVerification | null;
  handshakes: WebhookHandshake[];
  created: string;
  updated: string;
}

export type WebhookChanges = Partial<
  Pick<WebhookRecord, 'name' | 'description' | 'template' | 'enabled' | 'slug' | 'verification' | 'handshakes'>
>;

/** How many webhooks the slug cache holds; past that it starts afresh. */
const SLUG_CACHE_SIZE = 10_000;

/**
 * CRUD over the webhooks table. On SQLite, lookups by slug are served from memory while the webhooks' change counter
 * (kept by triggers, migration 0002) stays the same, so a slug rotated here or by another process stops working at
 * once. On PostgreSQL, where other instances write, every lookup asks the database.
 */
export class WebhookRepository {
  private readonly db: Kysely<Database>;
  private readonly bySlug = new Map<string, WebhookRecord>();
  private cachedVersion: number | undefined;
  /** The change counter as read in this turn of the event loop; undefined once the turn is over or after a write. */
  private versionThisTurn: number | undefined;

  constructor(private readonly handle: Db) {
    this.db = handle.kysely;
  }

  async create(record: WebhookRecord): Promise<WebhookRecord> {
    await this.db.insertInto('webhooks').values(toRow(record)).execute();
    this.forgetVersion();
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

  /** Returns the webhook behind `slug`. The record may be shared with other callers: do not modify it. */
  async getBySlug(slug: string): Promise<WebhookRecord | undefined> {
    const version = this.currentVersion();
    if (version === undefined) return this.queryBySlug(slug);
    if (version !== this.cachedVersion) {
      this.bySlug.clear();
      this.cachedVersion = version;
    }
    const cached = this.bySlug.get(slug);
    if (cached) return cached;
    const record = await this.queryBySlug(slug);
    // Unknown slugs are not cached: guessing them must not fill memory. A write that overlapped the query moved the
    // counter on, and what was read before it is not kept.
    if (record && version === this.cachedVersion) {
      if (this.bySlug.size >= SLUG_CACHE_SIZE) this.bySlug.clear();
      this.bySlug.set(slug, record);
    }
    return record;
  }

  // Reading the counter was a tenth of a webhook request's time on the main thread. The requests Node reads in one
  // turn of the event loop arrived together, so they share one read; a write here forgets it at once, and another
  // process's write is seen from the next turn on.
  private currentVersion(): number | undefined {
    if (this.versionThisTurn !== undefined) return this.versionThisTurn;
    const version = this.handle.webhooksVersion?.();
    if (version === undefined) return undefined;
    this.versionThisTurn = version;
    setImmediate(() => this.forgetVersion());
    return version;
  }

  private forgetVersion(): void {
    this.versionThisTurn = undefined;
  }

  private async queryBySlug(slug: string): Promise<WebhookRecord | undefined> {
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
    if (changes.handshakes !== undefined) set.handshakes = JSON.stringify(changes.handshakes);
    if (changes.verification !== undefined) {
      set.verification = changes.verification === null ? null : JSON.stringify(changes.verification);
    }
    const result = await this.db.updateTable('webhooks').set(set).where('id', '=', id).executeTakeFirst();
    this.forgetVersion();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.get(id);
  }

  /** Returns true when a webhook was deleted. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    this.forgetVersion();
    return Number(result.numDeletedRows) > 0;
  }
}

function toRow(record: WebhookRecord): WebhooksTable {
  return {
    ...record,
    enabled: record.enabled ? 1 : 0,
    verification: record.verification ? JSON.stringify(record.verification) : null,
    handshakes: JSON.stringify(record.handshakes),
  };
}

function fromRow(row: Selectable<WebhooksTable>): WebhookRecord {
  return {
    ...row,
    enabled: row.enabled === 1,
    verification: row.verification ? (JSON.parse(row.verification) as WebhookVerification) : null,
    handshakes: JSON.parse(row.handshakes) as WebhookHandshake[],
  };
}
