// The router keeps each workflow's events in outbox order when it has to hold some back: events postponed while the
// workflow rolls over, or after a failed delivery, come due later than newer ones that were never postponed, and the
// newer ones must not overtake them. On both databases, with a real outbox and an injected clock.
import { EventRepository } from '../../../db/events';
import type { ReceivedEvent } from '../../../core/events/schema';
import { triggerSchema } from '../../../core/triggers/schema';
import { createLogger } from '../../../services/logging/logger';
import { AutomationRegistry } from '../../../services/automations/registry';
import { type Delivery, EventRouter } from '../../../services/automations/router';
import type { AutomationRepository } from '../../../db/automations';
import { createTestDb, DIALECTS, type TestDb } from '../../helpers/db';
import { makeEvent } from '../../helpers/factories';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);

describe.each(DIALECTS)('EventRouter order on %s', (dialect) => {
  let t: TestDb;
  let events: EventRepository;
  let router: EventRouter;
  /** What each call to deliver was given, and what it answered. */
  let calls: { ids: string[]; answer: Delivery | 'failed' }[];
  let answers: (Delivery | 'failed')[];

  beforeEach(async () => {
    t = await createTestDb(dialect);
    events = new EventRepository(t.db);
    const logger = createLogger('silent');
    const registry = new AutomationRegistry({} as AutomationRepository, logger);
    registry.load([
      {
        id: 'a',
        name: 'a',
        description: '',
        enabled: true,
        trigger: triggerSchema.parse({
          type: 'event',
          posture: 'Reactive',
          match: { 'prefect.resource.id': 'woodchuck.1' },
          expect: ['animal.walked'],
          threshold: 1,
          within: 0,
        }),
        actions: [{ type: 'do-nothing' }],
        actions_on_trigger: [],
        actions_on_resolve: [],
        owner_resource: null,
        tags: [],
        workflow_id: 'automation/a',
        created: '2026-01-01T00:00:00.000Z',
        updated: '2026-01-01T00:00:00.000Z',
      },
    ]);
    registry.refresh = async () => undefined; // loaded above; nothing to poll
    calls = [];
    answers = [];
    router = new EventRouter(
      events,
      registry,
      async (_target, batch) => {
        const answer = answers.shift() ?? 'delivered';
        calls.push({ ids: batch.map((e) => e.id), answer });
        if (answer === 'failed') throw new Error('Temporal is down');
        return answer;
      },
      logger,
    );
  });
  afterEach(() => t.drop());

  const store = async (ms: number): Promise<ReceivedEvent> => {
    const event = makeEvent({ occurred: at(ms).toISOString(), received: at(ms).toISOString() });
    await events.insert([event], new Set([event.id]));
    return event;
  };
  const delivered = () => calls.filter((call) => call.answer === 'delivered').flatMap((call) => call.ids);

  it('holds newer events back behind events held for a rollover', async () => {
    const first = await store(0);
    answers.push('held');
    await router.drainOnce(at(1)); // held: the first event waits 25 ms
    const second = await store(2);
    await router.drainOnce(at(10)); // only the second is due now: it must wait for the first
    expect(delivered()).toEqual([]);
    await router.drainOnce(at(40));
    expect(delivered()).toEqual([first.id, second.id]);
    expect(await events.outboxSize()).toBe(0);
  });

  it('offers the held events again on time while new ones keep arriving', async () => {
    const stored = [await store(0)];
    answers.push('held');
    await router.drainOnce(at(1)); // held until 26 ms
    // A busy stream: an event every 5 ms, each waking the router at once.
    for (let ms = 5; ms <= 30; ms += 5) {
      stored.push(await store(ms));
      await router.drainOnce(at(ms + 1));
    }
    // At 26 ms the held event and those behind it go together; the one stored at 30 ms follows.
    expect(delivered()).toEqual(stored.map((e) => e.id));
  });

  it('holds newer events back behind events whose delivery failed, until they are retried', async () => {
    const first = await store(0);
    answers.push('failed');
    await router.drainOnce(at(1)); // failed: retried after 500 ms
    const second = await store(100);
    await router.drainOnce(at(200));
    expect(delivered()).toEqual([]);
    await router.drainOnce(at(600));
    expect(delivered()).toEqual([first.id, second.id]);
    expect(await events.outboxSize()).toBe(0);
  });

  it('offers entries in a failed delivery backoff at once when asked to (a new routing process takes over)', async () => {
    await store(0);
    answers.push('failed');
    await router.drainOnce(at(1));
    expect(await events.dueOutbox(at(2).toISOString(), 10)).toHaveLength(0);
    await events.retryOutboxNow(at(2).toISOString());
    expect(await events.dueOutbox(at(2).toISOString(), 10)).toHaveLength(1);
  });
});
