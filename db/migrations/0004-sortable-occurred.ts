// The `occurred` column holds every time with six fraction digits (`.123000Z`), so that text order is time order and
// queries compare it directly. Events keep their own spelling in `body`; only the indexed column changes.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update events set occurred = substr(occurred, 1, 23) || '000Z' where length(occurred) = 24`.execute(db);
}
