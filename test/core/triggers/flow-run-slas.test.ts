// Ports of Prefect's tests/events/server/triggers/test_flow_run_slas.py, including the regressions for Prefect
// issues 3521, 3244 and 3803 as they apply to one automation's engine.
import type { ReceivedEvent } from '../../../core/events/schema';
import { leafCovers } from '../../../core/triggers/buckets';
import type { EventTrigger, Trigger } from '../../../core/triggers/schema';
import { Engine, START, at, minutes, received, trigger } from './helpers';

const flowRun = (id: string) => ({ 'prefect.resource.id': `prefect.flow-run.${id}` });
const runEvent = (id: string, name: string, seconds: number, extra: Partial<ReceivedEvent> = {}): ReceivedEvent =>
  received({ occurred: at(seconds), event: `prefect.flow-run.${name}`, resource: flowRun(id), ...extra });

/** A fast run that completes twice in quick succession, and a slow one that gets stuck (Prefect's fixtures). */
function receivedEvents(): ReceivedEvent[] {
  const events = [
    runEvent('FASTBOI-1', 'scheduled', 1),
    runEvent('FASTBOI-1', 'pending', 2),
    runEvent('FASTBOI-1', 'running', 3),
    runEvent('FASTBOI-1', 'completed', 10),
    runEvent('FASTBOI-2', 'pending', 22),
    runEvent('FASTBOI-2', 'running', 23),
    runEvent('FASTBOI-2', 'completed', 30),
    runEvent('SLOWBOI', 'scheduled', 2),
    runEvent('SLOWBOI', 'pending', 3),
    runEvent('SLOWBOI', 'running', 4),
  ];
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => Date.parse(a.event.occurred) - Date.parse(b.event.occurred) || a.index - b.index)
    .map(({ event }) => event);
}

const stuckFlowRuns = (expect: string[]): Trigger =>
  trigger({
    match: { 'prefect.resource.id': 'prefect.flow-run.*' },
    for_each: ['prefect.resource.id'],
    after: ['prefect.flow-run.running'],
    expect,
    posture: 'Proactive',
    threshold: 1,
    within: minutes(1),
  });

describe('stuck flow runs (Proactive after running, for_each run)', () => {
  it('covers the events it expects', () => {
    const sla = stuckFlowRuns(['prefect.flow-run.completed', 'prefect.flow-run.cancelled']) as EventTrigger;
    const covered = receivedEvents().filter((event) =>
      ['prefect.flow-run.running', 'prefect.flow-run.completed', 'prefect.flow-run.cancelled'].includes(event.event),
    );
    expect(covered.length).toBeGreaterThan(0);
    for (const event of covered) expect(leafCovers(sla, event)).toBe(true);
  });

  it.each([
    ['an exact expect', ['prefect.flow-run.completed', 'prefect.flow-run.cancelled']],
    ['a wildcard expect that is a superset of after', ['prefect.flow-run.*']],
  ])('fires only for the stuck run with %s', (_name, names) => {
    const engine = new Engine(stuckFlowRuns(names));
    const events = receivedEvents();
    expect(engine.send(events)).toEqual([]);
    expect(engine.tick(at(50))).toEqual([]);

    const lastEvent = events[5]!;
    expect(lastEvent).toMatchObject({
      occurred: at(4),
      event: 'prefect.flow-run.running',
      resource: flowRun('SLOWBOI'),
    });
    const firings = engine.tick(at(64));
    expect(firings).toEqual([
      {
        id: expect.any(String),
        trigger_id: '$',
        trigger_states: ['Triggered'],
        triggered: at(64),
        triggering_labels: { 'prefect.resource.id': 'prefect.flow-run.SLOWBOI' },
        triggering_firings: [],
        triggering_event: lastEvent,
      },
    ]);
  });
});

describe('reactive flow-run triggers with after', () => {
  it('reacts only to the runs that were scheduled before completing (threshold 0)', () => {
    const engine = new Engine(
      trigger({
        match: { 'prefect.resource.id': 'prefect.flow-run.*' },
        for_each: ['prefect.resource.id'],
        after: ['prefect.flow-run.scheduled'],
        expect: ['prefect.flow-run.completed'],
        posture: 'Reactive',
        threshold: 0,
      }),
    );
    const events = receivedEvents();
    const firings = engine.send(events);
    const completed = events[6]!;
    expect(completed).toMatchObject({ event: 'prefect.flow-run.completed', resource: flowRun('FASTBOI-1') });
    expect(firings.map((firing) => [firing.triggering_labels, firing.triggering_event])).toEqual([
      [{ 'prefect.resource.id': 'prefect.flow-run.FASTBOI-1' }, completed],
    ]);
  });

  it('reacts to every run that leaves Pending when expect is empty', () => {
    const engine = new Engine(
      trigger({
        match: { 'prefect.resource.id': 'prefect.flow-run.*' },
        for_each: ['prefect.resource.id'],
        after: ['prefect.flow-run.pending'],
        expect: [],
        posture: 'Reactive',
        threshold: 0,
      }),
    );
    expect(engine.send(receivedEvents())).toHaveLength(3);
  });
});

type Step = ReceivedEvent | { tick: string };

describe('regression 3521: a proactive trigger must not fire for a run that completed', () => {
  const sla = () =>
    trigger({
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      match_related: {
        'prefect.resource.id': ['prefect.flow.f1f1f1f1', 'prefect.flow.f2f2f2f2'],
        'prefect.resource.role': 'flow',
      },
      for_each: ['prefect.resource.id'],
      after: ['prefect.flow-run.Running'],
      expect: ['prefect.flow-run.*'],
      posture: 'Proactive',
      within: 7200.0,
      threshold: 1,
    });
  const related = [{ 'prefect.resource.id': 'prefect.flow.f1f1f1f1', 'prefect.resource.role': 'flow' }];

  function steps(): Step[] {
    const pending = runEvent('frfrfrfr', 'Pending', 0, { related });
    const running = runEvent('frfrfrfr', 'Running', minutes(1), { related, follows: pending.id });
    const completed = runEvent('frfrfrfr', 'Completed', minutes(4), { related, follows: running.id });
    const logWrite = received({
      occurred: at(minutes(2)),
      event: 'prefect.log.write',
      resource: flowRun('frfrfrfr'),
      related,
    });
    return [
      pending,
      running,
      logWrite,
      { tick: at(minutes(3)) },
      completed,
      ...[5, 119, 120, 121, 123, 124, 125, 250].map((minute) => ({ tick: at(minutes(minute)) })),
    ];
  }

  function run(engine: Engine, items: Step[]): void {
    for (const item of items) {
      if ('tick' in item) engine.tick(item.tick);
      else engine.send(item);
    }
  }

  it('never fires when the run completes', () => {
    const engine = new Engine(sla());
    run(engine, steps());
    expect(engine.firings).toEqual([]);
  });

  it('fires once when the completion never arrives', () => {
    const engine = new Engine(sla());
    run(
      engine,
      steps().filter((item) => 'tick' in item || item.event !== 'prefect.flow-run.Completed'),
    );
    expect(engine.firings).toHaveLength(1);
  });

  it('fires once on a single late tick, and never again', () => {
    const engine = new Engine(sla());
    const items = steps().filter((item) => !('tick' in item) && item.event !== 'prefect.flow-run.Completed');
    run(engine, items);
    expect(engine.firings).toEqual([]);
    expect(engine.tick(at(minutes(250)))).toHaveLength(1);
    expect(engine.tick(at(minutes(251)))).toEqual([]);
    expect(engine.tick(at(minutes(450)))).toEqual([]);
  });
});

describe('regression 3244: causally ordered events that arrive out of order', () => {
  const sla = () =>
    trigger({
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      match_related: {
        'prefect.resource.id': ['prefect.flow.f1f1f1f1', 'prefect.flow.f2f2f2f2'],
        'prefect.resource.role': 'flow',
      },
      for_each: ['prefect.resource.id'],
      after: ['prefect.flow-run.Running'],
      expect: ['prefect.flow-run.Completed'],
      posture: 'Proactive',
      within: 7200.0,
      threshold: 1,
    });
  const related = [{ 'prefect.resource.id': 'prefect.flow.f1f1f1f1', 'prefect.resource.role': 'flow' }];

  function steps(): { pending: ReceivedEvent; running: ReceivedEvent; completed: ReceivedEvent; ticks: string[] } {
    const pending = runEvent('frfrfrfr', 'Pending', 0, { related });
    const running = runEvent('frfrfrfr', 'Running', minutes(1), { related, follows: pending.id });
    const completed = runEvent('frfrfrfr', 'Completed', minutes(4), { related, follows: running.id });
    return {
      pending,
      running,
      completed,
      ticks: [3, 4, 5, 119, 120, 121, 123, 124, 125, 250].map((m) => at(minutes(m))),
    };
  }

  it('parks the early Completed until Running arrives, and never fires', () => {
    const engine = new Engine(sla());
    const { pending, running, completed, ticks } = steps();
    engine.send(pending);
    engine.send(completed);
    expect(engine.state.parked.map((parked) => parked.event.id)).toEqual([completed.id]);
    engine.send(
      received({ occurred: at(minutes(2)), event: 'prefect.log.write', resource: flowRun('frfrfrfr'), related }),
    );
    engine.send(running);
    expect(engine.state.parked).toEqual([]);
    for (const tick of ticks) engine.tick(tick);
    expect(engine.firings).toEqual([]);
  });

  it('fires once when the completion never arrives', () => {
    const engine = new Engine(sla());
    const { pending, running, ticks } = steps();
    engine.send(pending);
    engine.send(running);
    for (const tick of ticks) engine.tick(tick);
    expect(engine.firings).toHaveLength(1);
  });
});

describe('regression 3803: a processing backlog must not look like an absence', () => {
  const sla = () =>
    trigger({
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      for_each: ['prefect.resource.id'],
      after: ['prefect.flow-run.Pending'],
      expect: ['prefect.flow-run.*'],
      posture: 'Proactive',
      within: minutes(5),
      threshold: 1,
    });
  const pending = () => runEvent('frfrfrfr', 'Pending', -minutes(20));

  it('does not fire while the backlog is processed, nor after the Running event closes it', () => {
    const engine = new Engine(sla());
    engine.send(pending(), START);
    expect(engine.tick(at(minutes(1)))).toEqual([]);
    expect(engine.tick(at(minutes(4)))).toEqual([]);
    engine.send(runEvent('frfrfrfr', 'Running', -minutes(19)), START);
    expect(engine.tick(at(minutes(6)))).toEqual([]);
  });

  it('fires once the event clock has passed the deadline with no other event', () => {
    const engine = new Engine(sla());
    engine.send(pending(), START);
    expect(engine.tick(at(minutes(1)))).toEqual([]);
    expect(engine.tick(at(minutes(4)))).toEqual([]);
    expect(engine.wake()).toBe(at(minutes(5)));
    expect(engine.tick(at(minutes(6)))).toHaveLength(1);
  });

  it('fires when an unrelated event moves the event clock past the deadline', () => {
    const engine = new Engine(sla());
    engine.send(pending(), START);
    expect(engine.tick(at(minutes(1)))).toEqual([]);
    expect(engine.tick(at(minutes(4)))).toEqual([]);
    engine.send(
      received({
        occurred: at(-minutes(6)),
        event: 'something.else',
        resource: { 'prefect.resource.id': 'any.other.resource' },
      }),
      START,
    );
    expect(engine.tick(at(minutes(6)))).toHaveLength(1);
  });
});
