// The outbox row carries the trace of the request that stored its event (a W3C traceparent, when tracing is on), so
// the router's delivery continues that trace (services/tracing/). The event itself stays Prefect's JSON.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('event_outbox').addColumn('trace', 'text').execute();
}
