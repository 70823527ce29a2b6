// A flow run keeps what triggered it (the automation, its firing and the triggering events), recorded when the
// run-deployment action creates it; runs created before this, or from the API, have none.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('flow_runs').addColumn('triggered_by', 'text').execute();
}
