// Row shapes of tripwire's tables, as Kysely sees them. Times are ISO-8601 UTC text in both databases so that
// one query layer compares them the same way; JSON columns are text; booleans are 0/1 integers.
import type { Generated } from 'kysely';

export interface WebhooksTable {
  id: string;
  name: string;
  description: string;
  template: string;
  enabled: number;
  slug: string;
  verification: string | null;
  /** JSON array of WebhookHandshake names (migration 0005). */
  handshakes: string;
  created: string;
  updated: string;
}

export interface EventsTable {
  seq: Generated<number>;
  id: string;
  occurred: string;
  received: string;
  event: string;
  resource_id: string;
  body: string;
}

export interface EventResourcesTable {
  event_id: string;
  resource_id: string;
  role: string;
}

export interface EventOutboxTable {
  event_id: string;
  enqueued_at: string;
  available_at: string;
  attempts: number;
  last_error: string | null;
  /** W3C traceparent of the request that stored the event, when tracing was on. */
  trace: string | null;
}

export interface AutomationsTable {
  id: string;
  name: string;
  description: string;
  enabled: number;
  trigger: string;
  actions: string;
  actions_on_trigger: string;
  actions_on_resolve: string;
  owner_resource: string | null;
  tags: string;
  workflow_id: string;
  created: string;
  updated: string;
}

export interface DeploymentsTable {
  id: string;
  name: string;
  description: string;
  entrypoint: string;
  work_pool: string;
  parameters: string;
  parameter_schema: string | null;
  tags: string;
  base_dir: string;
  entrypoint_type: string;
  activities: string | null;
  work_pool_type: string;
  retries: number;
  retry_delay_seconds: number;
  timeout_seconds: number | null;
  created: string;
  updated: string;
}

export interface FlowRunsTable {
  id: string;
  name: string;
  deployment_id: string | null;
  flow_name: string;
  work_pool: string;
  parameters: string;
  state_type: string;
  state_name: string;
  state_timestamp: string;
  state_message: string | null;
  state_id: string;
  state_history: string;
  expected_start_time: string | null;
  start_time: string | null;
  end_time: string | null;
  result: string | null;
  error: string | null;
  idempotency_key: string | null;
  created_by: string | null;
  triggered_by: string | null;
  tags: string;
  workflow_id: string;
  created: string;
  updated: string;
}

/** One lease per row (db/leases.ts); PostgreSQL only. `expires_ms` is on the database's clock. */
export interface LeasesTable {
  name: string;
  owner: string;
  expires_ms: number;
}

/** How many times the automations table changed (migration 0008's triggers). */
export interface AutomationChangesTable {
  id: number;
  version: number;
}

export interface Database {
  webhooks: WebhooksTable;
  events: EventsTable;
  event_resources: EventResourcesTable;
  event_outbox: EventOutboxTable;
  automations: AutomationsTable;
  deployments: DeploymentsTable;
  flow_runs: FlowRunsTable;
  leases: LeasesTable;
  automation_changes: AutomationChangesTable;
}
