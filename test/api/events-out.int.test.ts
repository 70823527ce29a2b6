// Reading the event feed as Prefect's clients read it: POST /api/events/filter with its next_page links
// (`client.read_events()`, `read_events_page()`), and the WebSocket subscription /api/events/out
// (`get_events_subscriber()`, `prefect events stream`): auth message, filter message, backfill, then live events.
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { type OpenedSocket, openSocket } from '../helpers/sockets';
import { eventually, readJson, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const run = crypto.randomBytes(4).toString('hex');

const event = (name: string, resource: string, occurred = new Date()) => ({
  id: crypto.randomUUID(),
  occurred: occurred.toISOString(),
  event: name,
  resource: { 'prefect.resource.id': resource },
  related: [{ 'prefect.resource.id': `prefect.tag.${run}`, 'prefect.resource.role': 'tag' }],
  payload: {},
});

type Subscription = OpenedSocket<{ type: string; event?: { id: string; event: string } }>;
const connect = (url: string): Promise<Subscription> => openSocket(url, '/api/events/out');

/** Connects, authenticates and subscribes with `filter`, as PrefectEventSubscriber does. */
async function subscribe(tw: TestTripwire, filter: unknown, backfill?: boolean): Promise<Subscription> {
  const sub = await connect(tw.url);
  sub.ws.send(JSON.stringify({ type: 'auth', token: tw.apiKey }));
  await eventually(async () => (sub.messages[0]?.type === 'auth_success' ? true : undefined), 5000, 'auth_success');
  sub.messages.shift();
  sub.ws.send(JSON.stringify({ type: 'filter', filter, ...(backfill === undefined ? {} : { backfill }) }));
  return sub;
}

const names = (sub: Subscription) => sub.messages.map((m) => m.event?.event);

describe('reading events as Prefect clients do', () => {
  let tw: TestTripwire;
  beforeAll(async () => {
    tw = await startTestTripwire({ worker: false });
  });
  afterAll(() => tw.stop());

  const post = async (...events: unknown[]) => expect((await tw.api('POST', '/api/events', events)).status).toBe(204);
  const byRun = (extra: Record<string, unknown> = {}) => ({
    related: { id: [`prefect.tag.${run}`], role: null, resources_in_roles: null, labels: null },
    ...extra,
  });

  describe('POST /api/events/filter', () => {
    const stored = Array.from({ length: 5 }, (_, i) =>
      event(`query.step-${i}`, `query.${run}`, new Date(Date.now() - (10 - i) * 1000)),
    );
    beforeAll(() => post(...stored));

    it('pages newest first with the total, following next_page until it is null', async () => {
      const first = await tw.api('POST', '/api/events/filter', {
        filter: byRun({ event: { prefix: ['query.'] } }),
        limit: 2,
      });
      expect(first.status).toBe(200);
      const page = await readJson(first);
      expect(page.total).toBe(5);
      expect(page.events.map((e: { id: string }) => e.id)).toEqual([stored[4]!.id, stored[3]!.id]);
      expect(page.events[0]).toMatchObject({ event: 'query.step-4', received: expect.any(String) });
      expect(page.next_page).toMatch(new RegExp(`^${tw.url}/api/events/filter/next\\?page-token=`));

      const seen = page.events.map((e: { id: string }) => e.id);
      let next: string | null = page.next_page;
      while (next) {
        const response = await fetch(next, { headers: { authorization: `Bearer ${tw.apiKey}` } });
        expect(response.status).toBe(200);
        const more = await readJson(response);
        expect(more.total).toBe(5);
        seen.push(...more.events.map((e: { id: string }) => e.id));
        next = more.next_page;
      }
      expect(seen).toEqual([...stored].reverse().map((e) => e.id));
    });

    it('counts by event name and by time bucket (POST /api/events/count-by/...), refusing what Prefect refuses', async () => {
      const filter = byRun({ event: { prefix: ['query.step-'] } });
      const byEvent = await tw.api('POST', '/api/events/count-by/event', { filter });
      expect(byEvent.status).toBe(200);
      const counts = await readJson(byEvent);
      expect(counts.map((c: { value: string; count: number }) => [c.value, c.count]).sort()).toEqual(
        stored.map((e) => [e.event, 1]).sort(),
      );
      const since = new Date(Date.now() - 60_000).toISOString();
      const byTime = await readJson(
        await tw.api('POST', '/api/events/count-by/time', {
          filter: { ...filter, occurred: { since, until: new Date().toISOString() } },
          time_unit: 'minute',
          time_interval: 5,
        }),
      );
      expect(byTime.reduce((sum: number, c: { count: number }) => sum + c.count, 0)).toBe(5);

      expect((await tw.api('POST', '/api/events/count-by/colour', { filter })).status).toBe(422);
      const tooMany = await tw.api('POST', '/api/events/count-by/time', { filter, time_unit: 'second' });
      expect(tooMany.status).toBe(422);
      expect((await readJson(tooMany)).error.message).toMatch(/buckets, which is too many/);
    });

    it('keeps the first page time bounds: an event stored later does not shift the pages', async () => {
      const first = await readJson(
        await tw.api('POST', '/api/events/filter', { filter: byRun({ event: { prefix: ['query.'] } }), limit: 4 }),
      );
      await post(event('query.late', `query.${run}`));
      const second = await readJson(
        await fetch(first.next_page, { headers: { authorization: `Bearer ${tw.apiKey}` } }),
      );
      expect(second.events.map((e: { id: string }) => e.id)).toEqual([stored[0]!.id]);
      expect(second.next_page).toBeNull();
    });

    it('answers an empty body with the default filter, and a bad filter with 422 naming the field', async () => {
      const all = await readJson(await tw.api('POST', '/api/events/filter'));
      expect(all.events.length).toBeGreaterThan(0);
      expect(all.events.length).toBeLessThanOrEqual(50);

      const bad = await tw.api('POST', '/api/events/filter', { filter: { event: { prefixes: ['x'] } } });
      expect(bad.status).toBe(422);
      expect((await readJson(bad)).error.details[0].path).toBe('event');
      const badLimit = await tw.api('POST', '/api/events/filter', { limit: 100_000 });
      expect(badLimit.status).toBe(422);
    });

    it('refuses a page token it did not issue with 403, and asks for the API key', async () => {
      const forged = await tw.api('GET', '/api/events/filter/next?page-token=bm90LWEtdG9rZW4');
      expect(forged.status).toBe(403);
      expect((await tw.api('GET', '/api/events/filter/next')).status).toBe(403);
      expect((await fetch(`${tw.url}/api/events/filter`, { method: 'POST' })).status).toBe(401);
    });
  });

  describe('WebSocket /api/events/out', () => {
    it('backfills matching events oldest first, then streams new ones as they are stored, each once', async () => {
      const tag = `sub-${crypto.randomBytes(3).toString('hex')}`;
      const before = [event(`${tag}.one`, 'sub.a', new Date(Date.now() - 60_000)), event(`${tag}.two`, 'sub.b')];
      await post(...before, event(`other-${tag}.skip`, 'sub.c'));

      const sub = await subscribe(tw, {
        occurred: {
          since: new Date(Date.now() - 5 * 60_000).toISOString(),
          until: new Date(Date.now() + 86_400_000).toISOString(),
        },
        event: { prefix: [`${tag}.`], exclude_prefix: null, name: null, exclude_name: null },
        order: 'DESC',
      });
      await eventually(async () => (sub.messages.length >= 2 ? true : undefined), 5000, 'the backfill');
      expect(names(sub)).toEqual([`${tag}.one`, `${tag}.two`]);
      expect(sub.messages[0]).toMatchObject({ type: 'event', event: { id: before[0]!.id } });

      await post(event(`${tag}.three`, 'sub.a'), event(`unrelated-${tag}`, 'sub.a'));
      await post(before[1]); // a redelivery is not a new event
      await eventually(async () => (sub.messages.length >= 3 ? true : undefined), 5000, 'the live event');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(names(sub)).toEqual([`${tag}.one`, `${tag}.two`, `${tag}.three`]);
      sub.ws.close();
    });

    it('without backfill sends only what is stored after subscribing; answers pings', async () => {
      const tag = `live-${crypto.randomBytes(3).toString('hex')}`;
      await post(event(`${tag}.old`, 'live.a'));
      const sub = await subscribe(
        tw,
        { event: { prefix: [`${tag}.`] }, occurred: { until: '2099-01-01T00:00:00Z' } },
        false,
      );
      await new Promise<void>((resolve) => {
        sub.ws.once('pong', () => resolve());
        sub.ws.ping();
      });
      await post(event(`${tag}.new`, 'live.a'));
      await eventually(async () => (sub.messages.length >= 1 ? true : undefined), 5000, 'the live event');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(names(sub)).toEqual([`${tag}.new`]);
      sub.ws.close();
    });

    it('reaches back at most 15 minutes, however early the filter starts', async () => {
      const tag = `clamp-${crypto.randomBytes(3).toString('hex')}`;
      await post(event(`${tag}.old`, 'clamp.a', new Date(Date.now() - 20 * 60_000)), event(`${tag}.recent`, 'clamp.a'));
      const sub = await subscribe(tw, {
        event: { prefix: [`${tag}.`] },
        occurred: { since: new Date(Date.now() - 3_600_000).toISOString(), until: '2099-01-01T00:00:00Z' },
      });
      await eventually(async () => (sub.messages.length >= 1 ? true : undefined), 5000, 'the backfill');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(names(sub)).toEqual([`${tag}.recent`]);
      sub.ws.close();
    });

    it("closes with 1002 when the message after auth is not a filter, or the filter is invalid (Prefect's codes)", async () => {
      const notFilter = await connect(tw.url);
      notFilter.ws.send(JSON.stringify({ type: 'auth', token: tw.apiKey }));
      notFilter.ws.send(JSON.stringify({ type: 'subscribe' }));
      expect(await notFilter.closed).toEqual({ code: 1002, reason: "Expected 'filter' message" });

      const invalid = await subscribe(tw, { occurred: { since: 'last tuesday' } });
      const closed = await invalid.closed;
      expect(closed.code).toBe(1002);
      expect(closed.reason).toMatch(/^Invalid filter: occurred\.since: /);
    });

    it('refuses a subscription without the API key (1008), and a wrong key with auth_failure', async () => {
      const silent = await connect(tw.url);
      silent.ws.send(JSON.stringify({ type: 'filter', filter: {} }));
      expect((await silent.closed).code).toBe(1008);

      const wrong = await connect(tw.url);
      wrong.ws.send(JSON.stringify({ type: 'auth', token: 'nope' }));
      expect((await wrong.closed).code).toBe(1008);
      expect(wrong.messages[0]).toMatchObject({ type: 'auth_failure' });
    });

    it('closes with 1011 when the event store is down, so the client reconnects later', async () => {
      const broken = await startTestTripwire({ worker: false });
      try {
        await broken.services.db.close();
        const sub = await subscribe(broken, { event: { prefix: ['anything.'] } });
        expect(await sub.closed).toEqual({ code: 1011, reason: 'the event store is unavailable' });
      } finally {
        await broken.stop().catch(() => undefined);
      }
    });

    it('accepts the key on the upgrade (Authorization header) and then the filter as the first message', async () => {
      const tag = `header-${crypto.randomBytes(3).toString('hex')}`;
      await post(event(`${tag}.one`, 'header.a'));
      const ws = new WebSocket(`${tw.url.replace(/^http/, 'ws')}/api/events/out`, 'prefect', {
        headers: { authorization: `Bearer ${tw.apiKey}` },
      });
      const received: string[] = [];
      ws.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8')).event?.event));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ type: 'filter', filter: { event: { prefix: [`${tag}.`] } } }));
      await eventually(async () => (received.length >= 1 ? true : undefined), 5000, 'the backfill');
      expect(received).toEqual([`${tag}.one`]);
      ws.close();
    });
  });
});
