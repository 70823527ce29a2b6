// Group commit against a real SQLite database: overlapping writers share transactions, every caller's events land,
// and one caller whose batch cannot be stored does not fail the others.
import crypto from 'node:crypto';
import { EventRepository } from '../../../db/events';
import type { ReceivedEvent } from '../../../core/events/schema';
import { GroupCommit } from '../../../services/events/group-commit';
import { createTestDb, type TestDb } from '../../helpers/db';

const event = (name: string): ReceivedEvent => ({
  id: crypto.randomUUID(),
  occurred: new Date().toISOString(),
  received: new Date().toISOString(),
  event: name,
  resource: { 'prefect.resource.id': 'group.commit' },
  related: [],
  payload: {},
  follows: null,
});

describe('GroupCommit', () => {
  let t: TestDb;
  let events: EventRepository;
  beforeAll(async () => {
    t = await createTestDb('sqlite');
    events = new EventRepository(t.db);
  });
  afterAll(() => t.drop());

  it('commits overlapping writers together, and every event lands', async () => {
    const transactions: number[] = [];
    const insert = events.insert.bind(events);
    const counted = Object.create(events) as EventRepository;
    counted.insert = (batch, route) => {
      transactions.push(batch.length);
      return insert(batch, route);
    };
    const writer = new GroupCommit(counted);
    const written = Array.from({ length: 200 }, (_, i) => event(`gc.${i}`));
    await Promise.all(written.map((e) => writer.write([e], new Set([e.id]))));
    expect(transactions.reduce((a, b) => a + b, 0)).toBe(200);
    expect(transactions.length).toBeLessThan(20);
    for (const e of written.slice(0, 5)) expect(await events.get(e.id)).toEqual(e);
    expect(await events.outboxSize()).toBe(200);
  });

  it('keeps several batches in flight to the writer thread, stored in the order they were written', async () => {
    let inFlight = 0;
    let most = 0;
    const insert = events.insert.bind(events);
    const tracked = Object.create(events) as EventRepository;
    tracked.insert = async (batch, route) => {
      most = Math.max(most, ++inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5)); // a slow disk: the next batches go out meanwhile
        return await insert(batch, route);
      } finally {
        inFlight -= 1;
      }
    };
    const writer = new GroupCommit(tracked, 4);
    const written: ReceivedEvent[] = [];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 60; i += 1) {
      const e = event(`gc.ordered.${i}`);
      written.push(e);
      writes.push(writer.write([e], new Set()));
      await new Promise((resolve) => setImmediate(resolve)); // each write in a batch of its own
    }
    await Promise.all(writes);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
    const stored = await events.list({ event: ['gc.ordered.*'] }, 100);
    expect(stored.map((s) => s.event.id).reverse()).toEqual(written.map((e) => e.id));
  });

  it('answers each caller on its own when their shared transaction fails', async () => {
    const poisoned = event('gc.poison');
    const insert = events.insert.bind(events);
    const failing = Object.create(events) as EventRepository;
    failing.insert = (batch, route) =>
      batch.some((e) => e.id === poisoned.id) ? Promise.reject(new Error('disk full')) : insert(batch, route);
    const writer = new GroupCommit(failing);
    const good = [event('gc.good.1'), event('gc.good.2')];
    const results = await Promise.allSettled([
      writer.write([good[0]!], new Set()),
      writer.write([poisoned], new Set()),
      writer.write([good[1]!], new Set()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await events.get(good[1]!.id)).toEqual(good[1]);
    expect(await events.get(poisoned.id)).toBeUndefined();
  });
});
