// How a deployment's flow runs: what its entrypoint is (a Temporal workflow or a plain function), the activities module
// its workflow calls, who serves its work pool (tripwire or the team's own worker), and Prefect's retries and timeout.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const columns: [string, 'text' | 'integer' | 'real', string | number | null][] = [
    ['entrypoint_type', 'text', 'workflow'],
    ['activities', 'text', null],
    ['work_pool_type', 'text', 'tripwire'],
    ['retries', 'integer', 0],
    ['retry_delay_seconds', 'real', 0],
    ['timeout_seconds', 'real', null],
  ];
  // Columns already there are left alone, so a database whose migration records were rewound migrates again.
  const existing = new Set(
    (await db.introspection.getTables()).find((t) => t.name === 'deployments')?.columns.map((c) => c.name) ?? [],
  );
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const [name, type, fallback] of columns) {
    if (existing.has(name)) continue;
    await db.schema
      .alterTable('deployments')
      .addColumn(name, type, (c) => (fallback === null ? c : c.notNull().defaultTo(fallback)))
      .execute();
  }
}
