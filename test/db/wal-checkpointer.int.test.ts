// The WAL is checkpointed off the main thread: the main connection's own threshold is far above what this test
// writes, so only the worker can have moved the pages into the database file.
import fs from 'node:fs';
import path from 'node:path';
import { EventRepository } from '../../db/events';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from '../../db/wal-checkpointer';
import { createTestDb, type TestDb } from '../helpers/db';
import { makeEvent } from '../helpers/factories';
import { eventually } from '../helpers/tripwire';

describe('WAL checkpoints on SQLite', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('sqlite');
  });
  afterAll(() => t.drop());

  it('moves committed pages into the database file from the worker thread', async () => {
    const file = path.join(t.dataDir, 'tripwire.sqlite');
    const before = fs.statSync(file).size;
    const events = new EventRepository(t.db);
    const body = 'x'.repeat(2000);
    const batch = Array.from({ length: 1000 }, (_, i) =>
      makeEvent({ event: 'checkpoint.test', resource: { 'prefect.resource.id': `r.${i}` }, payload: { body } }),
    );
    await events.insert(batch);
    const pagesWritten = (fs.statSync(`${file}-wal`).size / 4096) | 0;
    expect(pagesWritten).toBeGreaterThan(500);
    expect(pagesWritten).toBeLessThan(FALLBACK_AUTOCHECKPOINT_PAGES);
    await eventually(
      async () => (fs.statSync(file).size > before + 400 * 4096 ? true : undefined),
      10_000,
      'a checkpoint',
    );
  });
});
