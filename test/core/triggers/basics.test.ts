// Ports of Prefect's tests/events/server/triggers/test_basics.py to the pure engine.
import { leafCovers } from '../../../core/triggers/buckets';
import type { EventTrigger } from '../../../core/triggers/schema';
import {
  Engine,
  START,
  again,
  animalLover,
  arachnophobia,
  at,
  chonkLonely,
  chonkParty,
  chonkSadness,
  daddyLongLegsWalked,
  later,
  minutes,
  myPoorLilies,
  received,
  trigger,
  woodchonkGobbled,
  woodchonkNibbled,
  woodchonkTableForOne,
  woodchonkWalked,
} from './helpers';

const asEvent = (value: unknown): EventTrigger => value as EventTrigger;

describe('leafCovers', () => {
  it('covers an event whose primary resource matches', () => {
    expect(leafCovers(asEvent(arachnophobia()), daddyLongLegsWalked())).toBe(true);
  });

  it('does not cover an event whose primary resource does not match', () => {
    expect(leafCovers(asEvent(arachnophobia()), woodchonkWalked())).toBe(false);
  });

  it('covers an event through a related resource', () => {
    expect(leafCovers(asEvent(myPoorLilies()), woodchonkNibbled())).toBe(true);
  });

  it('does not cover an event without the related resource', () => {
    expect(leafCovers(asEvent(myPoorLilies()), woodchonkWalked())).toBe(false);
  });

  it('requires every spec of a match_related list, each by any related resource', () => {
    const lilies = asEvent(myPoorLilies());
    const bothEaten = {
      ...lilies,
      match_related: [
        { 'prefect.resource.role': 'meal', genus: 'Hemerocallis' },
        { 'prefect.resource.role': 'meal', genus: 'Tulipa' },
      ],
    };
    const daffodilsToo = {
      ...lilies,
      match_related: [
        { 'prefect.resource.role': 'meal', genus: 'Hemerocallis' },
        { 'prefect.resource.role': 'meal', genus: 'Narcissus' },
      ],
    };
    expect(leafCovers(bothEaten, woodchonkNibbled())).toBe(true);
    expect(leafCovers(daffodilsToo, woodchonkNibbled())).toBe(false);
  });

  it('covers every event name when expect is empty', () => {
    expect(leafCovers(asEvent(animalLover()), daddyLongLegsWalked())).toBe(true);
    expect(leafCovers(asEvent(animalLover()), woodchonkNibbled())).toBe(true);
  });
});

describe('reactive event triggers', () => {
  it('fires immediately for every event when within is 0', () => {
    const engine = new Engine(arachnophobia());
    const walked = daddyLongLegsWalked();
    expect(engine.send(walked)).toEqual([
      {
        id: 'firing-1',
        trigger_id: '$',
        trigger_states: ['Triggered'],
        triggered: START,
        triggering_labels: {},
        triggering_firings: [],
        triggering_event: walked,
      },
    ]);

    const walkedAgain = later(walked, 10.000001);
    expect(engine.send(walkedAgain).map((firing) => firing.triggering_event)).toEqual([walkedAgain]);
  });

  it('only fires on expected events', () => {
    const engine = new Engine(arachnophobia());
    expect(engine.send(again(daddyLongLegsWalked(), { event: 'animal.snoozed' }))).toEqual([]);
    const walked = daddyLongLegsWalked();
    expect(engine.send(walked).map((firing) => firing.triggering_event)).toEqual([walked]);
  });

  it('fires as soon as the threshold is met, then not again within the window', () => {
    const engine = new Engine(chonkParty());
    let walked = woodchonkWalked();
    expect(engine.send(walked)).toEqual([]);
    walked = later(walked, 1);
    expect(engine.send(walked)).toEqual([]);
    walked = later(walked, 1);
    expect(engine.send(walked).map((firing) => firing.triggering_event)).toEqual([walked]);

    walked = later(walked, 1);
    expect(engine.send(walked)).toEqual([]);
    walked = later(walked, 1);
    expect(engine.send(walked)).toEqual([]);

    // A new window needs three more events.
    walked = later(walked, 20);
    expect(engine.send(walked)).toEqual([]);
    walked = later(walked, 1);
    expect(engine.send(walked)).toEqual([]);
    walked = later(walked, 1);
    const firings = engine.send(walked);
    expect(firings.map((firing) => [firing.triggering_event, firing.triggering_labels])).toEqual([[walked, {}]]);
  });

  it('does not fire when the threshold is not met within the window', () => {
    const engine = new Engine(chonkParty());
    let walked = woodchonkWalked();
    engine.send(walked);
    walked = later(walked, 1);
    engine.send(walked);
    walked = later(walked, 20);
    engine.send(walked);
    expect(engine.firings).toEqual([]);
  });

  it('fires on its expected event even after an unrelated event of the same resource', () => {
    const engine = new Engine(chonkLonely());
    const table = woodchonkTableForOne();
    expect(engine.send(again(table, { event: 'animal.eat' }))).toEqual([]);
    const later500 = later(table, 500);
    expect(engine.send(later500).map((firing) => firing.triggering_event)).toEqual([later500]);
  });

  it('counts separately for each value of related labels', () => {
    const engine = new Engine(
      trigger({
        type: 'event',
        expect: ['animal.ingested'],
        for_each: ['related:meal:genus', 'related:meal:species'],
        posture: 'Reactive',
        threshold: 3,
        within: minutes(10),
      }),
    );
    let nibbled = woodchonkNibbled();
    let gobbled = woodchonkGobbled();
    nibbled = later(nibbled, 1);
    expect(engine.send(nibbled)).toEqual([]);
    nibbled = later(nibbled, 1);
    expect(engine.send(nibbled)).toEqual([]);
    gobbled = later(gobbled, 1);
    expect(engine.send(gobbled)).toEqual([]);
    nibbled = later(nibbled, 1);
    expect(engine.send(nibbled).map((firing) => [firing.triggering_labels, firing.triggering_event])).toEqual([
      [{ 'related:meal:genus': 'Hemerocallis', 'related:meal:species': 'fulva' }, nibbled],
    ]);

    gobbled = later(gobbled, 1);
    expect(engine.send(gobbled)).toEqual([]);
    gobbled = later(gobbled, 1);
    expect(engine.send(gobbled).map((firing) => [firing.triggering_labels, firing.triggering_event])).toEqual([
      [{ 'related:meal:genus': 'Dicentra', 'related:meal:species': 'cucullaria' }, gobbled],
    ]);
  });

  it('counts late events up to 15 minutes before the first one in its first window', () => {
    const engine = new Engine(chonkParty());
    const walked = woodchonkWalked();
    expect(engine.send(walked)).toEqual([]);
    expect(engine.send(later(walked, -minutes(10)))).toEqual([]);
    expect(engine.send(later(walked, -minutes(16)))).toEqual([]);
    expect(engine.state.leaves.$!.buckets['[]']!.count).toBe(2);
    expect(engine.send(later(walked, 1))).toHaveLength(1);
  });

  it('fires on every event with threshold 0, then waits out its window', () => {
    const engine = new Engine(myPoorLilies());
    const nibbled = woodchonkNibbled();
    expect(engine.send(nibbled)).toHaveLength(1);
    expect(engine.send(later(nibbled, 1))).toEqual([]);
    expect(engine.send(later(nibbled, 31))).toHaveLength(1);
  });

  it('opens its cool-down bucket after firing and sweeps it only after end + 60 s', () => {
    const failedTrigger = trigger({
      after: [],
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      expect: ['prefect.flow-run.Failed'],
      within: 10.0,
      posture: 'Reactive',
      for_each: ['prefect.resource.id'],
      threshold: 1,
      match_related: { 'prefect.resource.id': ['prefect.flow.ffffffff'], 'prefect.resource.role': 'flow' },
    });
    const engine = new Engine(failedTrigger);
    const flowRun = {
      resource: { 'prefect.resource.id': 'prefect.flow-run.frfrfrfr' },
      related: [{ 'prefect.resource.id': 'prefect.flow.ffffffff', 'prefect.resource.role': 'flow' }],
    };
    const key = JSON.stringify(['prefect.flow-run.frfrfrfr']);

    engine.send(received({ ...flowRun, occurred: START, received: START, event: 'prefect.flow-run.Running' }), START);
    expect(engine.state.leaves.$!.buckets).toEqual({});

    const failedAt = at(1);
    const failed = received({ ...flowRun, occurred: failedAt, received: failedAt, event: 'prefect.flow-run.Failed' });
    expect(engine.send(failed, failedAt)).toHaveLength(1);
    expect(engine.state.leaves.$!.buckets[key]).toMatchObject({ start: at(11), end: at(21) });

    engine.tick(at(21));
    expect(engine.state.leaves.$!.buckets[key]).toBeDefined();
    engine.tick(at(21 + 61));
    expect(engine.state.leaves.$!.buckets[key]).toBeUndefined();
  });
});

describe('proactive event triggers', () => {
  it('fires when the window passes without the expected event, and again every window', () => {
    const engine = new Engine(chonkSadness());
    expect(engine.tick(START)).toEqual([]);
    expect(engine.tick(at(9))).toEqual([]);
    expect(engine.tick(at(10))).toEqual([]);
    expect(engine.tick(at(30))).toEqual([
      {
        id: 'firing-1',
        trigger_id: '$',
        trigger_states: ['Triggered'],
        triggered: at(30),
        triggering_labels: {},
        triggering_firings: [],
        triggering_event: null,
      },
    ]);
    expect(engine.tick(at(31))).toEqual([]);
    expect(engine.tick(at(60))).toHaveLength(1);
  });

  it('does not fire when the expected event arrives within the window', () => {
    const engine = new Engine(chonkSadness());
    engine.send(later(woodchonkWalked(), 5));
    expect(engine.tick(at(30))).toEqual([]);
  });
  it('fires from an event that arrives after an expired window, before any tick, as Prefect does', () => {
    const engine = new Engine(chonkSadness());
    engine.tick(START);
    const walked = later(woodchonkWalked(), 45);
    const firings = engine.send(walked);
    expect(firings.map((firing) => firing.triggering_event)).toEqual([walked]);
    // The event is spent in the next window, [45 s, 75 s), which it therefore satisfies.
    expect(engine.state.leaves.$!.buckets['[]']).toMatchObject({ start: walked.occurred, count: 1 });
  });
});

describe('followers', () => {
  const failedTrigger = () =>
    trigger({
      after: [],
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      expect: ['prefect.flow-run.Failed'],
      within: 10.0,
      posture: 'Reactive',
      for_each: ['prefect.resource.id'],
      threshold: 1,
    });
  const resource = { 'prefect.resource.id': 'prefect.flow-run.frfrfrfr' };

  it('processes a follower right after its leader arrives', () => {
    const engine = new Engine(failedTrigger());
    const pending = received({ occurred: START, event: 'prefect.flow-run.Pending', resource, received: at(2) });
    const running = received({
      occurred: at(60),
      event: 'prefect.flow-run.Running',
      resource,
      received: at(62),
      follows: pending.id,
    });
    const failed = received({
      occurred: at(180),
      event: 'prefect.flow-run.Failed',
      resource,
      received: at(123),
      follows: running.id,
    });

    expect(engine.send(pending)).toEqual([]);
    expect(engine.send(failed)).toEqual([]);
    expect(engine.state.parked.map((parked) => parked.event.id)).toEqual([failed.id]);

    const firings = engine.send(running);
    expect(firings.map((firing) => [firing.triggering_labels, firing.triggering_event])).toEqual([
      [{ 'prefect.resource.id': 'prefect.flow-run.frfrfrfr' }, failed],
    ]);
    expect(engine.state.parked).toEqual([]);
  });

  it('processes a follower received more than 15 minutes ago at once', () => {
    const engine = new Engine(failedTrigger());
    const base = at(-3600);
    const pending = received({ occurred: base, event: 'prefect.flow-run.Pending', resource, received: at(1, base) });
    const running = received({
      occurred: at(60, base),
      event: 'prefect.flow-run.Running',
      resource,
      received: at(62, base),
      follows: pending.id,
    });
    const failed = received({
      occurred: at(180, base),
      event: 'prefect.flow-run.Failed',
      resource,
      received: at(123, base),
      follows: running.id,
    });

    engine.send(pending);
    expect(engine.send(failed).map((firing) => firing.triggering_event)).toEqual([failed]);
    expect(engine.send(running)).toEqual([]);
  });

  it('processes followers whose leader never arrives on the first tick 15 minutes after receipt', () => {
    const engine = new Engine(failedTrigger());
    const base = at(-minutes(15));
    const bogusId = '00000000-0000-4000-8000-b0b0b0b0b0b0';
    const pending = received({ occurred: base, event: 'prefect.flow-run.Pending', resource, received: at(1, base) });
    const running = received({
      occurred: at(60, base),
      event: 'prefect.flow-run.Running',
      resource,
      received: at(62, base),
      follows: bogusId,
    });
    const failed = received({
      occurred: at(180, base),
      event: 'prefect.flow-run.Failed',
      resource,
      received: at(123, base),
      follows: bogusId,
    });

    engine.send(pending);
    expect(engine.send(failed)).toEqual([]);
    expect(engine.send(running)).toEqual([]);
    expect(engine.wake()).toBe(at(62 + minutes(15), base));

    expect(engine.tick(at(minutes(10), base))).toEqual([]);
    const firings = engine.tick(at(minutes(20), base));
    expect(firings.map((firing) => [firing.triggered, firing.triggering_event])).toEqual([
      [at(minutes(20), base), failed],
    ]);
    expect(engine.state.parked).toEqual([]);
  });
});
