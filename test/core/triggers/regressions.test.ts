// Ports of Prefect's tests/events/server/triggers/test_regressions.py, plus the heartbeat regressions the newer
// Prefect adds (zombie flow runs, restarted proactive buckets).
import type { ReceivedEvent } from '../../../core/events/schema';
import { Engine, START, at, minutes, received, trigger } from './helpers';

const someEvent = (seconds: number): ReceivedEvent => received({ occurred: at(seconds), event: 'some-event' });

describe('unhealthy work queues (Proactive after/expect, for_each)', () => {
  const queue = 'prefect.work-queue.4f2c';
  const unhealthyQueue = () =>
    trigger({
      match: { 'prefect.resource.id': queue },
      for_each: ['prefect.resource.id'],
      after: ['prefect.work-queue.unhealthy'],
      expect: ['prefect.work-queue.healthy'],
      posture: 'Proactive',
      threshold: 1,
      within: minutes(119),
    });
  const health = (event: string, seconds: number) =>
    received({ occurred: at(seconds), event, resource: { 'prefect.resource.id': queue } });

  it('alerts when a queue stays unhealthy', () => {
    const engine = new Engine(unhealthyQueue());
    const unhealthy = health('prefect.work-queue.unhealthy', 0);
    engine.send(unhealthy);
    expect(engine.tick(at(minutes(21)))).toEqual([]);
    const firings = engine.tick(at(minutes(120)));
    expect(firings.map((firing) => [firing.triggering_labels, firing.triggering_event])).toEqual([
      [{ 'prefect.resource.id': queue }, unhealthy],
    ]);
  });

  it('does not alert when the queue went healthy', () => {
    const engine = new Engine(unhealthyQueue());
    engine.send([health('prefect.work-queue.unhealthy', 0), health('prefect.work-queue.healthy', minutes(20))]);
    expect(engine.tick(at(minutes(21)))).toEqual([]);
    expect(engine.tick(at(minutes(120)))).toEqual([]);
  });
});

describe('the same event in expect and after', () => {
  const sameEvent = (posture: 'Reactive' | 'Proactive', threshold: number, within: number) =>
    trigger({ after: ['some-event'], expect: ['some-event'], posture, threshold, within });

  it('never reacts when within is 0: an event cannot come after itself', () => {
    const engine = new Engine(sameEvent('Reactive', 1, 0));
    for (const seconds of [0, 1, 2, 3]) expect(engine.send(someEvent(seconds))).toEqual([]);
  });

  it('reacts on every second occurrence inside the window', () => {
    const engine = new Engine(sameEvent('Reactive', 1, 5));
    expect(engine.send(someEvent(1))).toEqual([]);
    expect(engine.send(someEvent(2))).toHaveLength(1);
    expect(engine.send(someEvent(3))).toEqual([]);
    expect(engine.send(someEvent(4))).toHaveLength(1);
    expect(engine.send(someEvent(61))).toEqual([]);
    expect(engine.send(someEvent(62))).toHaveLength(1);
  });

  it('does not fire proactively when threshold events arrive in the window', () => {
    const engine = new Engine(sameEvent('Proactive', 2, 10));
    engine.send(someEvent(1));
    expect(engine.tick(at(1))).toEqual([]);
    engine.send(someEvent(2));
    expect(engine.tick(at(2))).toEqual([]);
    engine.send(someEvent(3));
    expect(engine.tick(at(3))).toEqual([]);
    expect(engine.tick(at(10))).toEqual([]);
    expect(engine.tick(at(11))).toEqual([]);
  });

  it('fires proactively when fewer than threshold events arrive, and only once per arming', () => {
    const engine = new Engine(sameEvent('Proactive', 2, 10));
    engine.send(someEvent(1));
    expect(engine.tick(at(2))).toEqual([]);
    engine.send(someEvent(3));
    expect(engine.tick(at(4))).toEqual([]);
    expect(engine.tick(at(11))).toHaveLength(1);
    expect(engine.tick(at(30))).toEqual([]);
  });

  it('fires with for_each and threshold 1 once the heartbeats stop', () => {
    const engine = new Engine(
      trigger({
        after: ['prefect.flow-run.heartbeat'],
        expect: ['prefect.flow-run.heartbeat'],
        for_each: ['prefect.resource.id'],
        posture: 'Proactive',
        threshold: 1,
        within: minutes(5),
      }),
    );
    const beat = (seconds: number) =>
      received({
        occurred: at(seconds),
        received: at(seconds),
        event: 'prefect.flow-run.heartbeat',
        resource: { 'prefect.resource.id': 'prefect.flow-run.beating' },
      });
    const beats = [beat(minutes(1)), beat(minutes(1.5)), beat(minutes(2))];
    for (const heartbeat of beats) engine.send(heartbeat, heartbeat.received);
    expect(engine.tick(at(minutes(5)))).toEqual([]);
    const firings = engine.tick(at(minutes(10)));
    expect(firings.map((firing) => [firing.triggering_labels, firing.triggering_event])).toEqual([
      [{ 'prefect.resource.id': 'prefect.flow-run.beating' }, beats[2]],
    ]);
  });
});

describe('rapid fire', () => {
  it('fires once for each of 50 shuffled events with within 0', () => {
    const engine = new Engine(trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 1, within: 0 }));
    const events = Array.from({ length: 50 }, (_, index) => someEvent(index / 1_000_000));
    // A fixed permutation (37 is coprime to 50), so the test is deterministic.
    const shuffled = events.map((_, index) => events[(index * 37) % 50]!);
    const firings = engine.send(shuffled);
    expect(firings).toHaveLength(50);
    expect(firings.map((firing) => firing.triggering_event)).toEqual(events);
    expect(
      firings.every((firing) => firing.triggered === START && Object.keys(firing.triggering_labels).length === 0),
    ).toBe(true);
  });

  it('fires exactly once for 10 events processed in reverse order with threshold 10', () => {
    const engine = new Engine(trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 10, within: 60 }));
    const events = Array.from({ length: 10 }, (_, index) => someEvent(index / 1_000_000)).reverse();
    for (const event of events) engine.send(event);
    expect(engine.firings).toHaveLength(1);
    expect(engine.firings[0]).toMatchObject({ triggered: START, triggering_labels: {}, triggering_event: events[9] });
  });
});

describe('events from the future', () => {
  it('lets a simple recurring trigger fire again on an event 999 s ahead', () => {
    const engine = new Engine(trigger({ expect: ['some-event'], posture: 'Reactive', threshold: 1, within: 10 }));
    expect(engine.send(someEvent(0))).toHaveLength(1);
    expect(engine.send(someEvent(999))).toHaveLength(1);
  });
});

describe('proactive heartbeats', () => {
  const flowRun = { 'prefect.resource.id': 'prefect.flow-run.zombie' };
  const flowRunEvent = (event: string, seconds: number) =>
    received({ occurred: at(seconds), received: at(seconds), event, resource: flowRun });

  const zombieDetector = () =>
    trigger({
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      after: ['prefect.flow-run.heartbeat'],
      expect: ['prefect.flow-run.*'],
      for_each: ['prefect.resource.id'],
      posture: 'Proactive',
      threshold: 1,
      within: 90,
    });

  it('detects a zombie flow run when its heartbeats stop', () => {
    const engine = new Engine(zombieDetector());
    const beats = [0, 30, 60].map((seconds) => flowRunEvent('prefect.flow-run.heartbeat', seconds));
    for (const beat of beats) {
      engine.send(beat, beat.received);
      expect(engine.tick(beat.received)).toEqual([]);
    }
    // Without the restart the first heartbeat's window would have expired at 90 s.
    expect(engine.tick(at(120))).toEqual([]);
    expect(engine.wake()).toBe(at(150));
    const firings = engine.tick(at(150));
    expect(firings.map((firing) => [firing.triggering_labels, firing.triggering_event])).toEqual([[flowRun, beats[2]]]);
    expect(engine.tick(at(400))).toEqual([]);
  });

  it('stays quiet when the flow run finishes after its heartbeats', () => {
    const engine = new Engine(zombieDetector());
    for (const seconds of [0, 30]) engine.send(flowRunEvent('prefect.flow-run.heartbeat', seconds), at(seconds));
    engine.send(flowRunEvent('prefect.flow-run.Completed', 40), at(40));
    expect(engine.tick(at(125))).toEqual([]);
    expect(engine.tick(at(500))).toEqual([]);
  });

  it('fires two hours after the second Running event with that event', () => {
    const engine = new Engine(
      trigger({
        match: { 'prefect.resource.id': 'prefect.flow-run.*' },
        after: ['prefect.flow-run.Running'],
        expect: ['prefect.flow-run.*'],
        for_each: ['prefect.resource.id'],
        posture: 'Proactive',
        threshold: 1,
        within: minutes(120),
      }),
    );
    const first = flowRunEvent('prefect.flow-run.Running', 0);
    const second = flowRunEvent('prefect.flow-run.Running', minutes(30));
    engine.send(first, first.received);
    engine.send(second, second.received);
    expect(engine.tick(at(minutes(121)))).toEqual([]);
    const firings = engine.tick(at(minutes(150)));
    expect(firings.map((firing) => firing.triggering_event)).toEqual([second]);
  });
});
