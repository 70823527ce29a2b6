// On SQLite the event feed's writes run on their own thread: the event loop keeps turning while a large batch is
// committed, and a closed database refuses writes instead of quietly reopening.
import { EventRepository } from '../../db/events';
import { createTestDb, type TestDb } from '../helpers/db';
import { makeEvent } from '../helpers/factories';

const event = () =>
  makeEvent({
    event: 'writer.test',
    related: [{ 'prefect.resource.id': 'writer.related', 'prefect.resource.role': 'test' }],
    payload: { text: 'x'.repeat(5000) },
  });

describe('the SQLite event writer thread', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('sqlite');
  });
  afterAll(() => t.drop());

  it('commits a large batch while the event loop goes on turning, and the main connection then reads it', async () => {
    const events = new EventRepository(t.db);
    const batch = Array.from({ length: 2000 }, event);
    let turns = 0;
    let writing = true;
    const turn = () => {
      turns += 1;
      if (writing) setImmediate(turn);
    };
    setImmediate(turn);
    const stored = await events.insert(batch, new Set(batch.slice(0, 10).map((e) => e.id)));
    writing = false;
    expect(stored).toHaveLength(2000);
    expect(turns).toBeGreaterThan(20);
    expect(await events.outboxSize()).toBe(10);
    expect(await events.get(batch[1999]!.id)).toEqual(batch[1999]);
    // Redelivered ids are ignored, and reported as not new.
    expect(await events.insert([batch[0]!, event()])).toHaveLength(1);
  });

  it('starts the thread again after it died, and the writes go on', async () => {
    const events = new EventRepository(t.db);
    await events.insert([event()]);
    // The thread is private; ending it from outside stands for a crash of the native driver.
    const thread = (t.db.eventWriter as unknown as { worker?: { terminate(): Promise<number> } }).worker;
    expect(thread).toBeDefined();
    await thread!.terminate();
    const later = event();
    expect(await events.insert([later])).toEqual([later]);
    expect(await events.get(later.id)).toEqual(later);
  });

  it('refuses writes once the database is closed', async () => {
    const own = await createTestDb('sqlite');
    const events = new EventRepository(own.db);
    await events.insert([event()]);
    await own.db.close();
    await expect(events.insert([event()])).rejects.toThrow(/closed/);
    await own.drop();
  });
});
