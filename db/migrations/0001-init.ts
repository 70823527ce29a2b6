// The first schema: every table tripwire keeps. Column types are the ones both SQLite and PostgreSQL accept, save the
// events sequence, which each database spells its own way.
import type { Kysely } from 'kysely';
import type { Dialect } from '../connect';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('verification', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();

  const events = db.schema.createTable('events');
  await (
    dialect === 'postgres'
      ? events.addColumn('seq', 'bigserial', (c) => c.primaryKey())
      : events.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
  )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('occurred', 'text', (c) => c.notNull())
    .addColumn('received', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_occurred').on('events').column('occurred').execute();
  await db.schema.createIndex('events_received').on('events').column('received').execute();
  await db.schema.createIndex('events_event').on('events').column('event').execute();
  await db.schema.createIndex('events_resource_id').on('events').column('resource_id').execute();

  await db.schema
    .createTable('event_resources')
    .addColumn('event_id', 'text', (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('event_resources_resource')
    .on('event_resources')
    .columns(['resource_id', 'event_id'])
    .execute();
  await db.schema.createIndex('event_resources_event').on('event_resources').column('event_id').execute();

  await db.schema
    .createTable('event_outbox')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('enqueued_at', 'text', (c) => c.notNull())
    .addColumn('available_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('event_outbox_available').on('event_outbox').column('available_at').execute();

  await db.schema
    .createTable('automations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('actions_on_trigger', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('actions_on_resolve', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('owner_resource', 'text')
    .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('automations_owner').on('automations').column('owner_resource').execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('entrypoint', 'text', (c) => c.notNull())
    .addColumn('work_pool', 'text', (c) => c.notNull())
    .addColumn('parameters', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('parameter_schema', 'text')
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('base_dir', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('flow_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('flow_name', 'text', (c) => c.notNull())
    .addColumn('work_pool', 'text', (c) => c.notNull())
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('state_type', 'text', (c) => c.notNull())
    .addColumn('state_name', 'text', (c) => c.notNull())
    .addColumn('state_timestamp', 'text', (c) => c.notNull())
    .addColumn('state_message', 'text')
    .addColumn('state_id', 'text', (c) => c.notNull())
    .addColumn('state_history', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('expected_start_time', 'text')
    .addColumn('start_time', 'text')
    .addColumn('end_time', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('created_by', 'text')
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('flow_runs_deployment').on('flow_runs').columns(['deployment_id', 'created']).execute();
  await db.schema.createIndex('flow_runs_state').on('flow_runs').column('state_type').execute();
}
