import crypto from 'node:crypto';
import { EventRetention } from '../../services/events/retention';
import { createLogger } from '../../services/logging/logger';
import { DIALECTS, insertCommittingLater } from '../helpers/db';
import { makeEvent } from '../helpers/factories';
import { startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const event = (overrides: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  occurred: new Date().toISOString(),
  event: 'animal.walked',
  resource: { 'prefect.resource.id': 'woodchuck.1' },
  ...overrides,
});

describe.each(DIALECTS)('events API on %s', (dialect) => {
  let tw: TestTripwire;
  beforeAll(async () => {
    tw = await startTestTripwire({ dialect, worker: false });
  });
  afterAll(() => tw.stop());

  it('accepts one event or an array, fills id and occurred, sets received, and returns it by id', async () => {
    const one = event({ resource: { 'prefect.resource.id': `single.${dialect}` } });
    expect((await tw.api('POST', '/api/events', one)).status).toBe(204);
    const stored = await (await tw.api('GET', `/api/events/${one.id}`)).json();
    expect(stored).toMatchObject({ ...one, related: [], payload: {}, follows: null });
    expect(Date.parse(stored.received)).toBeGreaterThan(0);

    const batch = [event(), { event: 'no.id.given', resource: { 'prefect.resource.id': `filled.${dialect}` } }];
    expect((await tw.api('POST', '/api/events', batch)).status).toBe(204);
    const [filled] = (await (await tw.api('GET', `/api/events?resource=filled.${dialect}`)).json()).events;
    expect(filled.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(Math.abs(Date.parse(filled.occurred) - Date.now())).toBeLessThan(60_000);
    expect((await tw.api('GET', `/api/events/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it('rejects a batch with an invalid event with 422 naming the index and field, storing none of it', async () => {
    const good = event({ resource: { 'prefect.resource.id': `batch.${dialect}` } });
    const response = await tw.api('POST', '/api/events', [
      good,
      event({ resource: { 'prefect.resource.id': 'x', n: 5 } }),
      { event: 'x' },
    ]);
    expect(response.status).toBe(422);
    const { error } = await response.json();
    const paths = error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\[1\]\.resource/), expect.stringMatching(/^\[2\]\.resource/)]),
    );
    expect((await tw.api('GET', `/api/events/${good.id}`)).status).toBe(404);
    expect((await tw.api('POST', '/api/events', '[{"event": ')).status).toBe(400);
  });

  it('filters by name, resource, related and time, newest first, with cursor paging', async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const sent = [
      event({
        event: 'prefect.flow-run.Running',
        occurred: at(1),
        resource: { 'prefect.resource.id': `prefect.flow-run.${tag}` },
      }),
      event({
        event: 'prefect.flow-run.Completed',
        occurred: at(2),
        resource: { 'prefect.resource.id': `prefect.flow-run.${tag}` },
      }),
      event({
        event: 'other',
        occurred: at(3),
        resource: { 'prefect.resource.id': `thing.${tag}` },
        related: [{ 'prefect.resource.id': `prefect.flow.${tag}`, 'prefect.resource.role': 'flow' }],
      }),
    ];
    for (const e of sent) expect((await tw.api('POST', '/api/events', e)).status).toBe(204);
    const ids = async (query: string) =>
      (await (await tw.api('GET', `/api/events?${query}`)).json()).events.map((e: { id: string }) => e.id);
    expect(await ids(`event=prefect.flow-run.*&resource=*.${tag}`)).toEqual([sent[1]!.id, sent[0]!.id]);
    expect(await ids(`related=prefect.flow.${tag}`)).toEqual([sent[2]!.id]);
    expect(await ids(`resource=*${tag}&since=${at(2)}&until=${at(2)}`)).toEqual([sent[1]!.id]);
    const first = await (await tw.api('GET', `/api/events?resource=*${tag}&limit=2`)).json();
    expect(first.events).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await (await tw.api('GET', first.next_page)).json();
    expect([...first.events, ...second.events].map((e: { id: string }) => e.id)).toEqual([
      sent[2]!.id,
      sent[1]!.id,
      sent[0]!.id,
    ]);
    expect(second.next_cursor).toBeNull();
    expect((await tw.api('GET', '/api/events?limit=0')).status).toBe(400);
    expect((await tw.api('GET', '/api/events?since=yesterday')).status).toBe(400);
  });

  /** Reads `count` events from a live tail of `query`, resuming after `lastEventId` when given. */
  const tail = async (query: string, lastEventId: string | undefined, count: number) => {
    const controller = new AbortController();
    const response = await fetch(`${tw.url}/api/events/stream?${query}`, {
      headers: { authorization: `Bearer ${tw.apiKey}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const received: { id: string; data: { id: string; payload: { n: number } } }[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body!.getReader();
    const giveUp = setTimeout(() => controller.abort(), 10_000); // a missing event fails the test, not the timeout
    const done = (async () => {
      while (received.length < count) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && data) received.push({ id, data: JSON.parse(data) });
        }
      }
      controller.abort();
    })()
      .catch(() => undefined)
      .finally(() => clearTimeout(giveUp));
    return { received, done };
  };

  it('tails live over server-sent events and resumes from Last-Event-ID without gaps', async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const read = (lastEventId: string | undefined, count: number) => tail(`resource=tail.${tag}`, lastEventId, count);
    const emit = (n: number) =>
      tw.api('POST', '/api/events', event({ resource: { 'prefect.resource.id': `tail.${tag}` }, payload: { n } }));

    const firstTail = await read(undefined, 2);
    await new Promise((r) => setTimeout(r, 300));
    await emit(1);
    await emit(2);
    await firstTail.done;
    expect(firstTail.received.map((r) => r.data.payload.n)).toEqual([1, 2]);

    await emit(3);
    await emit(4);
    const resumed = await read(firstTail.received[1]!.id, 3);
    await emit(5);
    await resumed.done;
    expect(resumed.received.map((r) => r.data.payload.n)).toEqual([3, 4, 5]);
  });

  it('bounds occurred in time order to the microsecond, in the feed and in the live tail', async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const base = '2026-03-04T05:06:07';
    const times = ['.122999Z', '.123Z', '.123456Z', '.124Z', '.124500Z'].map((fraction) => base + fraction);
    const query = `resource=bounds.${tag}&since=${base}.123Z&until=${base}.124Z`;
    const live = await tail(query, undefined, 3);
    const sent = times.map((occurred, n) =>
      event({ occurred, resource: { 'prefect.resource.id': `bounds.${tag}` }, payload: { n } }),
    );
    for (const e of sent) expect((await tw.api('POST', '/api/events', e)).status).toBe(204);
    const listed = (await (await tw.api('GET', `/api/events?${query}`)).json()).events;
    expect(listed.map((e: { occurred: string }) => e.occurred).sort()).toEqual([times[1], times[2], times[3]].sort());
    const fromMicros = (await (await tw.api('GET', `/api/events?resource=bounds.${tag}&since=${times[2]}`)).json())
      .events;
    expect(fromMicros.map((e: { occurred: string }) => e.occurred).sort()).toEqual(
      [times[2], times[3], times[4]].sort(),
    );
    await live.done;
    expect(live.received.map((r) => r.data.payload.n)).toEqual([1, 2, 3]);
  });

  it('applies the related filter to live events and numbers them without going backwards', async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const live = await tail(`related=prefect.flow.${tag}`, undefined, 2);
    const related = [{ 'prefect.resource.id': `prefect.flow.${tag}`, 'prefect.resource.role': 'flow' }];
    const sent = [
      event({ related, payload: { n: 1 } }),
      event({ related: [{ ...related[0]!, 'prefect.resource.id': `prefect.flow.other-${tag}` }], payload: { n: 2 } }),
      event({ related, payload: { n: 3 } }),
    ];
    for (const e of sent) expect((await tw.api('POST', '/api/events', e)).status).toBe(204);
    await live.done;
    expect(live.received.map((r) => r.data.payload.n)).toEqual([1, 3]);
    expect(Number(live.received[1]!.id)).toBeGreaterThan(Number(live.received[0]!.id));
  });

  (dialect === 'postgres' ? it : it.skip)(
    'tails an event whose transaction commits after a later one, and a resume from there loses nothing',
    async () => {
      const tag = crypto.randomUUID().slice(0, 8);
      const resource = { 'prefect.resource.id': `late.${tag}` };
      const live = await tail(`resource=late.${tag}`, undefined, 2);
      const now = new Date().toISOString();
      const slow = makeEvent({ occurred: now, received: now, resource, payload: { n: 1 } });
      const late = await insertCommittingLater(tw.services.db, slow); // holds the lower sequence number
      expect((await tw.api('POST', '/api/events', event({ resource, payload: { n: 2 } }))).status).toBe(204);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the tail has read past the gap
      await late.commit();
      await live.done;
      expect(live.received.map((r) => r.data.payload.n)).toEqual([2, 1]);
      expect(live.received[1]!.id).toBe(live.received[0]!.id); // the late one does not move the position back

      expect((await tw.api('POST', '/api/events', event({ resource, payload: { n: 3 } }))).status).toBe(204);
      const resumed = await tail(`resource=late.${tag}`, live.received[1]!.id, 1);
      await resumed.done;
      expect(resumed.received.map((r) => r.data.payload.n)).toEqual([3]);
    },
  );

  it('prunes events older than the retention period', async () => {
    const old = event({ resource: { 'prefect.resource.id': `old.${dialect}` } });
    expect((await tw.api('POST', '/api/events', old)).status).toBe(204);
    const retention = new EventRetention(tw.services.events, 3600, createLogger('silent'));
    expect(await retention.pruneNow(Date.now() - 7200_000)).toBe(0);
    expect(await retention.pruneNow(Date.now() + 7200_000)).toBeGreaterThan(0);
    expect((await tw.api('GET', `/api/events/${old.id}`)).status).toBe(404);
  });
});

describe('events API while the database is down', () => {
  it('answers 503 naming what is down, and accepts nothing', async () => {
    const tw = await startTestTripwire({ worker: false });
    try {
      await tw.services.db.close();
      const response = await tw.api('POST', '/api/events', event());
      expect(response.status).toBe(503);
      expect((await response.json()).error.message).toMatch(/event store is unavailable; nothing was accepted/);
      // Reads say the same, instead of an "internal error" that reads like a bug.
      for (const [method, path, body] of [
        ['GET', '/api/events'],
        ['POST', '/api/events/filter', {}],
        ['GET', '/api/webhooks'],
        ['GET', '/api/automations'],
        ['GET', '/api/deployments'],
      ] as const) {
        const read = await tw.api(method, path, body);
        expect([path, read.status]).toEqual([path, 503]);
        expect((await read.json()).error.message).toMatch(/(database|event store) is unavailable; retry later/);
      }
    } finally {
      await tw.stop().catch(() => undefined);
    }
  });

  it('tells a live tail that the event store stopped answering', async () => {
    const tw = await startTestTripwire({ worker: false });
    const controller = new AbortController();
    try {
      const response = await fetch(`${tw.url}/api/events/stream`, {
        headers: { authorization: `Bearer ${tw.apiKey}` },
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await tw.services.db.close();
      const decoder = new TextDecoder();
      let text = '';
      while (!text.includes('event: error')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text).toMatch(/event: error\ndata: .*event store unavailable/);
    } finally {
      controller.abort();
      await tw.stop().catch(() => undefined);
    }
  });
});
