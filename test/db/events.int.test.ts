import { EventRepository } from '../../db/events';
import { migrate } from '../../db/migrations/index';
import * as sortableOccurred from '../../db/migrations/0004-sortable-occurred';
import { createTestDb, DIALECTS, type TestDb } from '../helpers/db';
import { makeEvent } from '../helpers/factories';

describe.each(DIALECTS)('EventRepository on %s', (dialect) => {
  let t: TestDb;
  let events: EventRepository;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    events = new EventRepository(t.db);
  });
  afterAll(() => t.drop());

  it('applies migrations once: a second run applies nothing', async () => {
    expect(await migrate(t.db)).toEqual([]);
  });

  it('stores occurred with six fraction digits, and migrates times stored before with three', async () => {
    const whole = makeEvent({ occurred: '2026-05-06T07:08:09.123Z' });
    const micros = makeEvent({ occurred: '2026-05-06T07:08:09.123456Z' });
    await events.insert([whole, micros]);
    const column = async (id: string) =>
      (await t.db.kysely.selectFrom('events').select('occurred').where('id', '=', id).executeTakeFirstOrThrow())
        .occurred;
    expect(await column(whole.id)).toBe('2026-05-06T07:08:09.123000Z');
    expect(await column(micros.id)).toBe('2026-05-06T07:08:09.123456Z');
    expect((await events.get(whole.id))?.occurred).toBe('2026-05-06T07:08:09.123Z'); // the event keeps its spelling

    // As an older tripwire stored it, before 0004 (applied here by itself: the migrator refuses to re-apply a
    // migration that later ones followed).
    await t.db.kysely
      .updateTable('events')
      .set({ occurred: '2026-05-06T07:08:09.123Z' })
      .where('id', '=', whole.id)
      .execute();
    await sortableOccurred.up(t.db.kysely as unknown as Parameters<typeof sortableOccurred.up>[0]);
    expect(await column(whole.id)).toBe('2026-05-06T07:08:09.123000Z');
    expect(await column(micros.id)).toBe('2026-05-06T07:08:09.123456Z');
  });

  it('stores events, ignores a redelivered id and returns only the new ones', async () => {
    const a = makeEvent();
    const b = makeEvent();
    expect((await events.insert([a, b])).map((e) => e.id)).toEqual([a.id, b.id]);
    expect((await events.insert([a, makeEvent({ id: b.id })])).length).toBe(0);
    expect(await events.get(a.id)).toEqual(a);
  });

  it('lists newest first with name, resource, related and time filters, paging by cursor', async () => {
    const tag = `run-${dialect}`;
    const related = [{ 'prefect.resource.id': `prefect.flow.${tag}`, 'prefect.resource.role': 'flow' }];
    const e1 = makeEvent({
      event: `prefect.flow-run.Running`,
      resource: { 'prefect.resource.id': `prefect.flow-run.${tag}` },
      related,
    });
    const e2 = makeEvent({
      event: `prefect.flow-run.Completed`,
      resource: { 'prefect.resource.id': `prefect.flow-run.${tag}` },
      related,
    });
    const e3 = makeEvent({ event: `other.thing`, resource: { 'prefect.resource.id': `x.${tag}` } });
    await events.insert([e1, e2, e3]);

    const byName = await events.list({ event: ['prefect.flow-run.*'], resource: [`*.${tag}`] }, 10);
    expect(byName.map((s) => s.event.id)).toEqual([e2.id, e1.id]);
    expect((await events.list({ event: ['prefect.flow-run.running'] }, 10)).length).toBe(0);
    expect((await events.list({ related: `prefect.flow.${tag}` }, 10)).map((s) => s.event.id)).toEqual([e2.id, e1.id]);
    expect(
      (await events.list({ resource: [`x.${tag}`], since: e3.occurred, until: e3.occurred }, 10)).map(
        (s) => s.event.id,
      ),
    ).toEqual([e3.id]);

    const first = await events.list({ resource: [`*${tag}`] }, 2);
    const second = await events.list({ resource: [`*${tag}`] }, 2, first[1]!.seq);
    expect([...first, ...second].map((s) => s.event.id)).toEqual([e3.id, e2.id, e1.id]);
    expect((await events.after({ resource: [`*${tag}`] }, first[1]!.seq, 10)).map((s) => s.event.id)).toEqual([e3.id]);
  });

  it('keeps routed events in the outbox until delivered, and retries postpone them', async () => {
    const routed = makeEvent();
    const unrouted = makeEvent();
    await events.insert([routed, unrouted], new Set([routed.id]));
    const now = new Date(Date.parse(routed.received) + 1000).toISOString();
    expect((await events.dueOutbox(now, 100)).map((e) => e.event.id)).toContain(routed.id);
    expect((await events.dueOutbox(now, 100)).map((e) => e.event.id)).not.toContain(unrouted.id);

    const later = new Date(Date.parse(now) + 60_000).toISOString();
    await events.retryOutbox([routed.id], later, 'temporal down');
    expect((await events.dueOutbox(now, 100)).map((e) => e.event.id)).not.toContain(routed.id);
    const due = await events.dueOutbox(later, 100);
    expect(due.find((e) => e.event.id === routed.id)?.attempts).toBe(1);
    await events.completeOutbox([routed.id]);
    expect((await events.dueOutbox(later, 100)).map((e) => e.event.id)).not.toContain(routed.id);
  });

  it("reports the outbox's size and oldest entry, and hands the router each row's trace", async () => {
    const before = await events.outboxStats();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const first = makeEvent({ received: '2001-02-03T04:05:06.000Z' });
    const second = makeEvent({ received: '2001-02-03T04:05:07.000Z' });
    await events.insert([first, second], new Set([first.id, second.id]), new Map([[first.id, traceparent]]));
    const stats = await events.outboxStats();
    expect(stats.size).toBe(before.size + 2);
    expect(stats.oldestEnqueuedAt).toBe(
      [before.oldestEnqueuedAt, first.received].filter((t): t is string => t !== undefined).sort()[0],
    );
    const due = await events.dueOutbox('2001-02-03T04:05:08.000Z', 1000);
    expect(due.find((entry) => entry.event.id === first.id)?.trace).toBe(traceparent);
    expect(due.find((entry) => entry.event.id === second.id)).not.toHaveProperty('trace');
    expect(due.find((entry) => entry.event.id === first.id)?.event).toEqual(first); // the event itself carries none
    await events.completeOutbox([first.id, second.id]);
    expect(await events.outboxStats()).toEqual(before);
  });

  it('prunes events received before the cutoff, but not ones still waiting for routing', async () => {
    const old = makeEvent({
      received: '2000-01-01T00:00:00.000Z',
      related: [{ 'prefect.resource.id': 'r', 'prefect.resource.role': 'x' }],
    });
    const waiting = makeEvent({ received: '2000-01-01T00:00:00.000Z' });
    await events.insert([old, waiting], new Set([waiting.id]));
    expect(await events.prune('2001-01-01T00:00:00.000Z')).toBe(1);
    expect(await events.get(old.id)).toBeUndefined();
    expect(await events.get(waiting.id)).toBeDefined();
  });
});
