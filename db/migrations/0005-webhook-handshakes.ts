// Webhooks may answer subscription handshakes (Azure Event Grid, CloudEvents webhooks, Slack) instead of turning
// those requests into events; which ones is a per-webhook list, stored as JSON.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('webhooks')
    .addColumn('handshakes', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}
