// Automations keep their tags (Prefect's AutomationCore has them); they were accepted and dropped before.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('automations')
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}
