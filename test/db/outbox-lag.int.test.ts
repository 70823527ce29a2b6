// The outbox's lag as /readyz reports it, on both databases: how many events wait, and since when the oldest does.
import { EventRepository } from '../../db/events';
import { createTestDb, DIALECTS, type TestDb } from '../helpers/db';
import { makeEvent } from '../helpers/factories';

describe.each(DIALECTS)('EventRepository.outboxLag on %s', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(() => t.drop());

  it('is empty at first, then counts the waiting events and names the oldest receipt', async () => {
    const events = new EventRepository(t.db);
    expect(await events.outboxLag()).toEqual({ depth: 0, oldestEnqueuedAt: null });
    const older = makeEvent({ event: 'lag.old', received: '2026-01-01T00:00:00.000Z' });
    const newer = makeEvent({ event: 'lag.new', received: '2026-01-01T00:00:05.000Z' });
    const unrouted = makeEvent({ event: 'lag.feed-only', received: '2025-01-01T00:00:00.000Z' });
    await events.insert([newer, older, unrouted], new Set([older.id, newer.id]));
    expect(await events.outboxLag()).toEqual({ depth: 2, oldestEnqueuedAt: '2026-01-01T00:00:00.000Z' });
  });
});
