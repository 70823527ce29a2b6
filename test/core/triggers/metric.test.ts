// Metric triggers: which events they record, the three metrics, and the Triggered/Resolved cycle with firing_for.
import type { ReceivedEvent } from '../../../core/events/schema';
import { measure, metricCovers } from '../../../core/triggers/metric';
import type { MetricTrigger, MetricTriggerQuery } from '../../../core/triggers/schema';
import { Engine, START, at, minutes, received, trigger } from './helpers';

const flowRunState = (run: string, state: string, seconds: number, extra: Partial<ReceivedEvent> = {}) =>
  received({
    occurred: at(seconds),
    received: at(seconds),
    event: `prefect.flow-run.${state}`,
    resource: { 'prefect.resource.id': `prefect.flow-run.${run}` },
    ...extra,
  });

const metricTrigger = (metric: Partial<MetricTriggerQuery>, extra: Record<string, unknown> = {}) =>
  trigger({ posture: 'Metric', metric: { name: 'successes', operator: '<', threshold: 0.5, ...metric }, ...extra });

const query = (name: MetricTriggerQuery['name']): MetricTriggerQuery => ({
  name,
  operator: '>',
  threshold: 0,
  range: 300,
  firing_for: 300,
});

const history = (states: [string, number][]) => ({
  run: 'prefect.flow-run.r',
  states: states.map(([name, seconds]): [string, string] => [name, at(seconds)]),
});

describe('metricCovers', () => {
  const covering = metricTrigger(
    {},
    { match_related: { 'prefect.resource.role': 'flow', 'prefect.resource.id': 'prefect.flow.etl' } },
  ) as MetricTrigger;
  const related = [{ 'prefect.resource.role': 'flow', 'prefect.resource.id': 'prefect.flow.etl' }];

  it('records flow-run state events that match', () => {
    expect(metricCovers(covering, flowRunState('a', 'Completed', 0, { related }))).toBe(true);
  });

  it('ignores heartbeats, other resources and runs that do not match', () => {
    expect(metricCovers(covering, flowRunState('a', 'heartbeat', 0, { related }))).toBe(false);
    expect(metricCovers(covering, received({ occurred: START, event: 'prefect.flow-run.Completed', related }))).toBe(
      false,
    );
    expect(metricCovers(covering, flowRunState('a', 'Completed', 0))).toBe(false);
  });
});

describe('measure', () => {
  it('is null without runs to measure', () => {
    expect(measure(query('successes'), [], 0, 1e18)).toBeNull();
    expect(measure(query('duration'), [history([['Running', 0]])], 0, 1e18)).toBeNull();
  });

  it('computes successes as the share of runs that went Pending and did not fail or crash', () => {
    const runs = [
      history([
        ['Pending', 10],
        ['Running', 11],
        ['Completed', 20],
      ]),
      history([
        ['Pending', 10],
        ['Running', 11],
        ['Failed', 20],
      ]),
      history([
        ['Pending', 10],
        ['Running', 11],
        ['Crashed', 20],
      ]),
      history([
        ['Pending', 10],
        ['Running', 11],
        ['Failed', 20],
        ['AwaitingRetry', 21],
        ['Running', 22],
        ['Completed', 30],
      ]),
      history([['Scheduled', 10]]),
    ];
    const window = [Date.parse(at(0)) * 1000, Date.parse(at(100)) * 1000] as const;
    expect(measure(query('successes'), runs, ...window)).toBe(0.5);
  });

  it('computes duration from the last Running to the terminal state, within the window', () => {
    const runs = [
      history([
        ['Running', 10],
        ['Completed', 40],
      ]),
      history([
        ['Running', 5],
        ['Failed', 10],
        ['Running', 20],
        ['Completed', 30],
      ]),
      history([
        ['Running', 0],
        ['Completed', 1000],
      ]),
    ];
    const window = [Date.parse(at(0)) * 1000, Date.parse(at(100)) * 1000] as const;
    // 30 s, and 5 s + 10 s for the retried run; the third finishes after the window.
    expect(measure(query('duration'), runs, ...window)).toBe(15);
  });

  it('computes lateness from Late to Running or Crashed', () => {
    const runs = [
      history([
        ['Late', 0],
        ['Late', 5],
        ['Running', 60],
      ]),
      history([
        ['Late', 10],
        ['Crashed', 30],
      ]),
    ];
    const window = [Date.parse(at(0)) * 1000, Date.parse(at(100)) * 1000] as const;
    expect(measure(query('lateness'), runs, ...window)).toBe(40);
  });
});

describe('metric triggers', () => {
  it('fires once the breach has lasted firing_for, and resolves once it has been over for firing_for', () => {
    const engine = new Engine(metricTrigger({ range: 600, firing_for: 300 }));
    expect(engine.wake()).toBeNull();
    engine.send(
      ['a', 'b', 'c', 'd'].flatMap((run, index) => [
        flowRunState(run, 'Pending', index),
        flowRunState(run, index === 0 ? 'Completed' : 'Failed', 10 + index),
      ]),
      at(20),
    );
    expect(engine.wake()).toBe(at(60));

    const fired = [];
    for (let second = 60; second <= minutes(30); second += 60) {
      for (const firing of engine.tick(at(second)))
        fired.push([second, firing.trigger_states[0], firing.triggering_value]);
    }
    // Breaching (0.25 < 0.5) from 60 s: Triggered at 360 s. The runs leave the 600 s range after ~613 s, the value
    // becomes null (no longer breaching) at 660 s: Resolved 300 s later.
    expect(fired).toEqual([
      [360, 'Triggered', 0.25],
      [960, 'Resolved', null],
    ]);
    expect(engine.wake()).toBeNull();
  });

  it('does not fire when the breach ends before firing_for', () => {
    const engine = new Engine(metricTrigger({ operator: '>', threshold: 0.9, range: 300, firing_for: 300 }));
    engine.send([flowRunState('a', 'Pending', 0), flowRunState('a', 'Completed', 1)], at(2));
    for (let second = 60; second <= 240; second += 60) expect(engine.tick(at(second))).toEqual([]);
    engine.send([flowRunState('b', 'Pending', 250), flowRunState('b', 'Failed', 251)], at(252));
    for (let second = 300; second <= minutes(20); second += 60) expect(engine.tick(at(second))).toEqual([]);
  });

  it('passes its Triggered firing, but not its Resolved one, up through a composite', () => {
    const engine = new Engine(
      trigger({
        type: 'compound',
        require: 'any',
        within: null,
        triggers: [{ posture: 'Metric', metric: { name: 'successes', operator: '<', threshold: 0.5, range: 900 } }],
      }),
    );
    engine.send([flowRunState('a', 'Pending', 0), flowRunState('a', 'Crashed', 1)], at(2));
    for (let second = 60; second <= minutes(20); second += 60) engine.tick(at(second));
    expect(engine.firings.map((firing) => [firing.trigger_id, firing.trigger_states[0]])).toEqual([['$', 'Triggered']]);
    expect(engine.firings[0]!.triggering_firings[0]).toMatchObject({ trigger_id: '$.0', triggering_value: 0 });
  });
});
