// The engine as the workflow uses it: de-duplication, ordering, continue-as-new safety, wake-ups and the state
// summary.
import type { ReceivedEvent } from '../../../core/events/schema';
import {
  describeState,
  ingest,
  initialTriggerState,
  nextWakeAt,
  onEvent,
  onTick,
  type TriggerState,
} from '../../../core/triggers/evaluate';
import { MAX_FOLLOWER_DEPTH, MAX_PARKED, MAX_SEEN } from '../../../core/triggers/ordering';
import type { Firing, Trigger } from '../../../core/triggers/schema';
import {
  Engine,
  START,
  at,
  chonkParty,
  chonkSadness,
  idSource,
  minutes,
  received,
  roundTrip,
  trigger,
  woodchonkWalked,
} from './helpers';

const counting = () => trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 2, within: 60 });
const someEvent = (seconds: number, extra: Partial<ReceivedEvent> = {}) =>
  received({ occurred: at(seconds), received: at(seconds), event: 'some-event', ...extra });

describe('ingest: de-duplication', () => {
  it('never counts a redelivered event id twice', () => {
    const engine = new Engine(counting());
    const first = someEvent(1);
    engine.send(first, at(1));
    engine.send({ ...first }, at(2));
    engine.send([{ ...first, received: at(3) }, { ...first }], at(3));
    expect(engine.firings).toEqual([]);
    expect(engine.state.leaves.$!.buckets['[]']!.count).toBe(1);
    expect(engine.send(someEvent(4), at(4))).toHaveLength(1);
  });

  it('processes an id again once 30 minutes have passed', () => {
    const engine = new Engine(trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 1 }));
    const event = someEvent(0);
    expect(engine.send(event, at(0))).toHaveLength(1);
    expect(engine.send(event, at(minutes(29)))).toEqual([]);
    expect(engine.send(event, at(minutes(30)))).toHaveLength(1);
  });

  it('forgets seen ids as time passes and keeps the list bounded', () => {
    const engine = new Engine(trigger({ expect: ['nothing'], posture: 'Reactive' }));
    engine.send(
      Array.from({ length: MAX_SEEN + 10 }, (_, index) => someEvent(index / 1000)),
      at(0),
    );
    expect(engine.state.seen).toHaveLength(MAX_SEEN);
    engine.tick(at(minutes(31)));
    expect(engine.state.seen).toEqual([]);
  });

  it('de-duplicates a large batch against a large seen list, and leaves its input state untouched', () => {
    // Enough ids that the lookup switches from searching the list to an index built for the pass.
    const engine = new Engine(trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 1 }));
    const earlier = Array.from({ length: 100 }, (_, index) => someEvent(index / 1000));
    expect(engine.send(earlier, at(1))).toHaveLength(100);
    const before = roundTrip(engine.state);
    const again = [...earlier.slice(0, 40).map((event) => ({ ...event })), someEvent(2), someEvent(3)];
    const result = ingest(engine.trigger, engine.state, again, at(4), idSource());
    expect(result.firings.map((firing) => firing.triggering_event?.id)).toEqual([again[40]!.id, again[41]!.id]);
    expect(engine.state).toEqual(before);
    expect(result.state.seen.map((entry) => entry.id)).toEqual([...earlier, again[40]!, again[41]!].map((e) => e.id));
    // The same redeliveries, one per pass (each searches the list instead of indexing it), are skipped too.
    engine.state = result.state;
    for (const event of again.slice(0, 20)) expect(engine.send({ ...event }, at(5))).toEqual([]);
  });

  it('forgets expired ids from the front of the list and keeps the fresh ones', () => {
    const engine = new Engine(trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 1 }));
    const old = someEvent(0);
    const fresh = someEvent(1);
    engine.send(old, at(0));
    engine.send(fresh, at(minutes(20)));
    engine.tick(at(minutes(31)));
    expect(engine.state.seen.map((entry) => entry.id)).toEqual([fresh.id]);
    expect(engine.send(old, at(minutes(31)))).toHaveLength(1);
    expect(engine.send(fresh, at(minutes(31)))).toEqual([]);
  });

  it('ignores prefect.log.write events, as the triggers consumer does', () => {
    const engine = new Engine(trigger({ posture: 'Reactive' }));
    expect(engine.send(received({ occurred: START, event: 'prefect.log.write' }))).toEqual([]);
    expect(engine.send(received({ occurred: START, event: 'anything' }))).toHaveLength(1);
  });

  it('processes a batch in occurred order', () => {
    const engine = new Engine(trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 1 }));
    const events = [someEvent(3), someEvent(1), someEvent(2)];
    expect(engine.send(events, at(5)).map((firing) => firing.triggering_event)).toEqual([
      events[1],
      events[2],
      events[0],
    ]);
  });
});

describe('ingest: followers', () => {
  const anyEvent = () => trigger({ posture: 'Reactive' });

  it('replays the followers of a leader in occurred order, however they arrived', () => {
    const engine = new Engine(anyEvent());
    const leader = someEvent(0);
    const second = someEvent(2, { follows: leader.id });
    const first = someEvent(1, { follows: leader.id });
    engine.send(second, at(3));
    engine.send(first, at(3));
    expect(engine.firings).toEqual([]);
    const firings = engine.send(leader, at(4));
    expect(firings.map((firing) => firing.triggering_event!.id)).toEqual([leader.id, first.id, second.id]);
  });

  it('releases at most 20 generations of followers at once; the rest wait for the timeout', () => {
    const engine = new Engine(anyEvent());
    const chain: ReceivedEvent[] = [someEvent(0)];
    for (let index = 1; index <= MAX_FOLLOWER_DEPTH + 2; index += 1) {
      chain.push(someEvent(index, { follows: chain[index - 1]!.id }));
    }
    engine.send(chain.slice(1).reverse(), at(30));
    expect(engine.state.parked).toHaveLength(MAX_FOLLOWER_DEPTH + 2);
    expect(engine.send(chain[0]!, at(30))).toHaveLength(MAX_FOLLOWER_DEPTH + 1);
    expect(engine.state.parked.map((parked) => parked.event.id)).toEqual(
      chain.slice(MAX_FOLLOWER_DEPTH + 1).map((event) => event.id),
    );
    // The first of them has its leader processed by now, but both are only picked up as lost followers.
    expect(engine.tick(at(minutes(16)))).toHaveLength(2);
  });

  it('ignores a redelivered follower while it is parked', () => {
    const engine = new Engine(anyEvent());
    const leader = someEvent(0);
    const follower = someEvent(1, { follows: leader.id });
    engine.send([follower], at(2));
    engine.send([{ ...follower }], at(3));
    expect(engine.state.parked).toHaveLength(1);
    expect(engine.send(leader, at(4))).toHaveLength(2);
  });

  it('does not park followers when the caller already orders events (waitForLeaders: false)', () => {
    const root = anyEvent();
    const follower = someEvent(1, { follows: '00000000-0000-4000-8000-00000000cafe' });
    const result = ingest(root, initialTriggerState(root, START), [follower], at(2), idSource(), {
      waitForLeaders: false,
    });
    expect(result.firings).toHaveLength(1);
    expect(result.state.parked).toEqual([]);
  });

  it('processes a follower at once when its leader was received elsewhere (leadersSeen), and releases parked ones', () => {
    const root = trigger({ expect: ['some-event'], posture: 'Reactive' });
    const leader = '00000000-0000-4000-8000-0000000000ee';
    const follower = someEvent(1, { follows: leader });
    const told = ingest(root, initialTriggerState(root, START), [follower], at(2), idSource(), {
      leadersSeen: [leader],
    });
    expect(told.firings).toHaveLength(1);
    expect(told.state.parked).toEqual([]);

    const parked = ingest(root, initialTriggerState(root, START), [follower], at(2), idSource());
    expect(parked.firings).toEqual([]);
    const released = ingest(root, parked.state, [], at(3), idSource(), { leadersSeen: [leader] });
    expect(released.firings.map((firing) => firing.triggering_event!.id)).toEqual([follower.id]);
    expect(released.state.parked).toEqual([]);
  });

  it('processes an event that follows itself at once', () => {
    const engine = new Engine(anyEvent());
    const event = someEvent(0);
    expect(engine.send({ ...event, follows: event.id }, at(1))).toHaveLength(1);
  });

  it('bounds the parked list by processing the earliest received followers as lost', () => {
    const engine = new Engine(anyEvent());
    const missing = '00000000-0000-4000-8000-ffffffffffff';
    const followers = Array.from({ length: MAX_PARKED + 2 }, (_, index) =>
      someEvent(index / 1000, { follows: missing, received: at(index / 1000) }),
    );
    const firings = engine.send(followers, at(1));
    expect(engine.state.parked).toHaveLength(MAX_PARKED);
    expect(firings.map((firing) => firing.triggering_event!.id)).toEqual([followers[0]!.id, followers[1]!.id]);
  });
});

describe('continue-as-new safety', () => {
  type Step = { kind: 'events'; events: ReceivedEvent[]; now: string } | { kind: 'tick'; now: string };

  /** A mixed script: reactive and proactive leaves, a sequence, followers, redeliveries and ticks. */
  function script(): Step[] {
    const run = (name: string, seconds: number, extra: Partial<ReceivedEvent> = {}) =>
      received({
        occurred: at(seconds),
        received: at(seconds + 1),
        event: `prefect.flow-run.${name}`,
        resource: { 'prefect.resource.id': 'prefect.flow-run.abc' },
        ...extra,
      });
    const pending = run('Pending', 0);
    const running = run('Running', 5, { follows: pending.id });
    const failed = run('Failed', 50, { follows: running.id });
    const steps: Step[] = [
      { kind: 'events', events: [running], now: at(6) },
      { kind: 'tick', now: at(7) },
      { kind: 'events', events: [pending, failed], now: at(60) },
      { kind: 'events', events: [failed], now: at(61) },
    ];
    for (let second = 70; second < 600; second += 37) {
      steps.push({
        kind: 'events',
        events: [run('Running', second), run('Completed', second + 3)],
        now: at(second + 5),
      });
      steps.push({ kind: 'tick', now: at(second + 20) });
    }
    steps.push({ kind: 'tick', now: at(minutes(30)) });
    return steps;
  }

  const tree = (): Trigger =>
    trigger({
      type: 'compound',
      require: 'any',
      within: null,
      triggers: [
        {
          match: { 'prefect.resource.id': 'prefect.flow-run.*' },
          for_each: ['prefect.resource.id'],
          after: ['prefect.flow-run.Running'],
          expect: ['prefect.flow-run.Completed', 'prefect.flow-run.Failed'],
          posture: 'Proactive',
          within: 30,
        },
        {
          type: 'sequence',
          within: 120,
          triggers: [
            { expect: ['prefect.flow-run.Running'], posture: 'Reactive' },
            { expect: ['prefect.flow-run.Failed'], posture: 'Reactive' },
          ],
        },
        { expect: ['prefect.flow-run.Completed'], posture: 'Reactive', threshold: 3, within: 100 },
      ],
    });

  function play(
    steps: Step[],
    roundTripEachStep: boolean,
  ): { firings: Firing[]; states: TriggerState[]; wakes: (string | null)[] } {
    const root = tree();
    const newId = idSource();
    let state = initialTriggerState(root, START);
    const firings: Firing[] = [];
    const states: TriggerState[] = [];
    const wakes: (string | null)[] = [];
    for (const step of steps) {
      const result =
        step.kind === 'events'
          ? ingest(root, state, step.events, step.now, newId)
          : onTick(root, state, step.now, newId);
      state = roundTripEachStep ? roundTrip(result.state) : result.state;
      firings.push(...result.firings);
      states.push(roundTrip(state));
      wakes.push(nextWakeAt(root, state));
    }
    return { firings, states, wakes };
  }

  it('gives identical firings, states and wakes when the state is serialised at every step', () => {
    const steps = script();
    const direct = play(steps, false);
    const serialised = play(steps, true);
    expect(direct.firings.length).toBeGreaterThan(3);
    expect(serialised).toEqual(direct);
  });

  it('keeps the state JSON-only: no Map, Set, Date, undefined or functions', () => {
    for (const state of play(script(), false).states) {
      expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
    }
    const state = ingest(tree(), initialTriggerState(tree(), START), [woodchonkWalked()], START, idSource()).state;
    expect(roundTrip(state)).toStrictEqual(state);
  });

  it('does not mutate the state it is given', () => {
    const root = chonkParty();
    const state = initialTriggerState(root, START);
    const before = roundTrip(state);
    ingest(root, state, [woodchonkWalked()], START, idSource());
    onEvent(root, state, woodchonkWalked(), START, idSource());
    onTick(root, state, at(100), idSource());
    expect(state).toStrictEqual(before);
  });
});

describe('nextWakeAt', () => {
  it('is null for a reactive trigger with nothing pending', () => {
    expect(nextWakeAt(chonkParty(), initialTriggerState(chonkParty(), START))).toBeNull();
  });

  it('asks for a tick at once for a new Proactive trigger, then at each window end', () => {
    const engine = new Engine(chonkSadness());
    expect(engine.wake()).toBe(START);
    engine.tick(START);
    expect(engine.wake()).toBe(at(30));
    engine.tick(at(30));
    expect(engine.wake()).toBe(at(60));
  });

  it('schedules the sweep of a reactive cool-down bucket on the minute after end + 60 s', () => {
    const engine = new Engine(trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 1, within: 10 }));
    engine.send(someEvent(1), at(1));
    // The cool-down bucket is [11 s, 21 s); it may go at 81 s, rounded up to the minute.
    expect(engine.wake()).toBe(at(120));
    engine.tick(at(120));
    expect(engine.state.leaves.$!.buckets).toEqual({});
    expect(engine.wake()).toBeNull();
  });

  it('is never in the past after a tick', () => {
    const engine = new Engine(
      trigger({
        for_each: ['prefect.resource.id'],
        after: ['a'],
        expect: ['b'],
        posture: 'Proactive',
        within: 30,
      }),
    );
    let now = START;
    for (let second = 0; second < 300; second += 7) {
      engine.send(
        received({
          occurred: at(second - 5),
          received: at(second),
          event: 'a',
          resource: { 'prefect.resource.id': `r${second % 3}` },
        }),
        at(second),
      );
      now = at(second + 1);
      engine.tick(now);
      const wake = engine.wake();
      expect(wake === null || Date.parse(wake) > Date.parse(now)).toBe(true);
    }
  });
});

describe('describeState', () => {
  it('shows open windows, stored child firings and parked events', () => {
    const root = trigger({
      type: 'compound',
      require: 'all',
      within: 60,
      triggers: [
        { expect: ['a'], for_each: ['prefect.resource.id'], posture: 'Reactive', threshold: 2, within: 30 },
        { expect: ['b'], posture: 'Reactive' },
        { expect: ['c'], posture: 'Reactive' },
      ],
    });
    const engine = new Engine(root);
    const b = received({ occurred: at(1), event: 'b' });
    engine.send([received({ occurred: at(0), event: 'a' }), b]);
    engine.send(received({ occurred: at(2), event: 'c', follows: '00000000-0000-4000-8000-0000000000aa' }));

    const view = describeState(root, engine.state);
    expect(view.event_triggers[0]).toMatchObject({
      path: '$.0',
      posture: 'Reactive',
      buckets: [{ labels: { 'prefect.resource.id': 'some.resource' }, start: at(-minutes(15)), end: at(30), count: 1 }],
    });
    expect(view.composite_triggers).toEqual([
      {
        path: '$',
        trigger_id: '$',
        type: 'compound',
        needed: 3,
        firings: [{ child: 1, trigger_id: '$.1', firing_id: 'firing-1', at: at(1), event_id: b.id }],
      },
    ]);
    expect(view.parked_events).toHaveLength(1);
    // The sweep of the bucket ending at 30 s comes before the follower times out.
    expect(view.next_wake).toBe(at(120));
    expect(roundTrip(view)).toEqual(view);
  });
});
