// The live feed behind /api/events/out: every committed event reaches every subscriber once, including, on
// PostgreSQL, an event whose sequence number was taken before a later one's but committed after it.
import { EventRepository } from '../../../db/events';
import type { ReceivedEvent } from '../../../core/events/schema';
import { EventFeed } from '../../../services/events/event-feed';
import { createLogger } from '../../../services/logging/logger';
import { createTestDb, DIALECTS, insertCommittingLater, type TestDb } from '../../helpers/db';
import { makeEvent } from '../../helpers/factories';
import { eventually } from '../../helpers/tripwire';

describe.each(DIALECTS)('EventFeed on %s', (dialect) => {
  let t: TestDb;
  let events: EventRepository;
  let feed: EventFeed;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    events = new EventRepository(t.db);
    feed = new EventFeed(events, createLogger('silent'), { pollIntervalMs: 20 });
  });
  afterAll(async () => {
    await feed.stop();
    await t.drop();
  });

  const collect = async () => {
    const got: ReceivedEvent[] = [];
    const unsubscribe = await feed.subscribe((batch) => got.push(...batch.map((stored) => stored.event)));
    return { got, unsubscribe };
  };

  it('hands events stored after subscribing to every subscriber, once, in order; not those stored before', async () => {
    const before = makeEvent();
    await events.insert([before]);
    const a = await collect();
    const b = await collect();
    const stored = [makeEvent(), makeEvent(), makeEvent()];
    await events.insert(stored.slice(0, 2));
    await events.insert(stored.slice(2));
    await events.insert([stored[0]!]); // a redelivery stores nothing
    for (const sub of [a, b]) {
      await eventually(async () => (sub.got.length >= 3 ? true : undefined), 5000, 'the events');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const sub of [a, b]) expect(sub.got.map((e) => e.id)).toEqual(stored.map((e) => e.id));
    a.unsubscribe();
    const after = makeEvent();
    await events.insert([after]);
    await eventually(async () => (b.got.length >= 4 ? true : undefined), 5000, 'the last event');
    expect(a.got).toHaveLength(3);
    b.unsubscribe();
  });

  (dialect === 'postgres' ? it : it.skip)(
    'delivers an event whose transaction commits after a later sequence number was already read',
    async () => {
      const sub = await collect();
      const slow = makeEvent();
      const fast = makeEvent();
      const late = await insertCommittingLater(t.db, slow); // holds the lower sequence number
      await events.insert([fast]);
      await eventually(async () => (sub.got.length >= 1 ? true : undefined), 5000, 'the fast event');
      await new Promise((resolve) => setTimeout(resolve, 100)); // the feed has read past the gap
      await late.commit();
      await eventually(async () => (sub.got.length >= 2 ? true : undefined), 5000, 'the late commit');
      expect(sub.got.map((e) => e.id)).toEqual([fast.id, slow.id]);
      sub.unsubscribe();
    },
  );
});

// The logging does not depend on the database; SQLite's closed handle fails at once.
describe('EventFeed during an outage', () => {
  it('warns once when the database stops answering, not at every poll', async () => {
    const own = await createTestDb('sqlite');
    const lines: string[] = [];
    const logged = new EventFeed(
      new EventRepository(own.db),
      createLogger('info', {}, (line) => lines.push(line)),
      {
        pollIntervalMs: 20,
      },
    );
    try {
      const unsubscribe = await logged.subscribe(() => undefined);
      await own.db.close();
      await new Promise((resolve) => setTimeout(resolve, 300)); // about 15 polls
      unsubscribe();
      expect(lines.filter((line) => line.includes('reading new events failed'))).toHaveLength(1);
    } finally {
      await logged.stop();
      await own.drop();
    }
  });
});
