// The TypeScript deployment-trigger classes: Prefect's constructors and validation, TypeScript durations in,
// the REST shape (seconds) out.
import {
  DeploymentCompoundTrigger,
  DeploymentEventTrigger,
  DeploymentMetricTrigger,
  DeploymentSequenceTrigger,
  parseDuration,
  TriggerValidationError,
} from '../../../core/deployments/client-triggers';
import { deploymentTriggerSchema } from '../../../core/deployments/schema';

describe('parseDuration', () => {
  it.each<[Parameters<typeof parseDuration>[0], number]>([
    [0, 0],
    [1500, 1.5],
    [60_000, 60],
    [{ hours: 2 }, 7200],
    [{ hours: 1, minutes: 30, seconds: 5 }, 5405],
    [{ days: 1 }, 86_400],
    [{}, 0],
    ['PT2H', 7200],
    ['P1D', 86_400],
    ['01:00:00', 3600],
  ])('reads %j as %p seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each<[unknown, RegExp]>([
    [-1, /negative/],
    [{ hours: -1 }, /negative/],
    [Number.NaN, /not a duration/],
    ['3600', /not a duration/],
    ['soon', /not a duration/],
    [{ hour: 1 }, /unknown duration unit "hour"/],
    [{ hours: '1' }, /must be a number/],
  ])('rejects %j', (value, message) => {
    expect(() => parseDuration(value as Parameters<typeof parseDuration>[0])).toThrow(message);
  });
});

describe('DeploymentEventTrigger', () => {
  it('defaults like Prefect: Reactive, threshold 1, no window, every event', () => {
    expect(new DeploymentEventTrigger().toJSON()).toEqual({
      type: 'event',
      match: {},
      match_related: {},
      after: [],
      expect: [],
      for_each: [],
      posture: 'Reactive',
      threshold: 1,
      within: 0,
      name: null,
      description: '',
      enabled: true,
      parameters: null,
      job_variables: null,
      schedule_after: 0,
    });
  });

  it('takes durations in milliseconds or as objects and emits seconds', () => {
    const trigger = new DeploymentEventTrigger({
      name: 'pinged',
      match: { 'prefect.resource.id': 'my.external.resource' },
      expect: new Set(['external.resource.pinged']),
      within: 60_000,
      threshold: 2,
      schedule_after: { hours: 2 },
      parameters: { param_1: '{{ event }}' },
    });
    expect(trigger).toMatchObject({ within: 60, schedule_after: 7200, expect: ['external.resource.pinged'] });
    expect(JSON.parse(JSON.stringify(trigger))).toMatchObject({
      within: 60,
      schedule_after: 7200,
      parameters: { param_1: '{{ event }}' },
    });
  });

  it("gives a Proactive trigger Prefect's 10-second window and refuses a shorter one", () => {
    expect(new DeploymentEventTrigger({ posture: 'Proactive' }).within).toBe(10);
    expect(() => new DeploymentEventTrigger({ posture: 'Proactive', within: 9_000 })).toThrow(TriggerValidationError);
    expect(() => new DeploymentEventTrigger({ posture: 'Proactive', within: 9_000 })).toThrow(
      'within: `within` for Proactive triggers must be greater than or equal to 10 seconds',
    );
  });

  it('lets the name be set later, as `prefect deploy` does', () => {
    const trigger = new DeploymentEventTrigger({ expect: ['x'] });
    trigger.name = 'set later';
    expect(trigger.toJSON().name).toBe('set later');
  });

  it("emits what the REST API's schema accepts unchanged", () => {
    const json: unknown = JSON.parse(
      JSON.stringify(new DeploymentEventTrigger({ expect: ['a'], schedule_after: 'PT1M' })),
    );
    expect(deploymentTriggerSchema.parse(json)).toEqual(json);
  });
});

describe('DeploymentMetricTrigger', () => {
  it('converts range and firing_for and keeps the 5-minute minimum', () => {
    const trigger = new DeploymentMetricTrigger({
      metric: { name: 'successes', operator: '<', threshold: 1, range: { minutes: 10 } },
    });
    expect(trigger.toJSON()).toMatchObject({
      type: 'metric',
      posture: 'Metric',
      metric: { name: 'successes', operator: '<', threshold: 1, range: 600, firing_for: 300 },
    });
    expect(
      () =>
        new DeploymentMetricTrigger({ metric: { name: 'lateness', operator: '>', threshold: 1, firing_for: 60_000 } }),
    ).toThrow('The minimum range is 300 seconds (5 minutes)');
  });
});

describe('DeploymentCompoundTrigger and DeploymentSequenceTrigger', () => {
  it('take plain child triggers in the REST shape', () => {
    const compound = new DeploymentCompoundTrigger({
      require: 'all',
      within: { seconds: 42 },
      schedule_after: 'PT2H',
      parameters: { param_1: '{{ event }}' },
      triggers: [
        {
          type: 'event',
          match: { 'prefect.resource.id': 'my.external.resource' },
          expect: ['external.resource.pinged'],
        },
        {
          type: 'event',
          match: { 'prefect.resource.id': 'my.external.resource' },
          expect: ['external.resource.replied'],
        },
      ],
    });
    expect(compound.toJSON()).toMatchObject({
      type: 'compound',
      require: 'all',
      within: 42,
      schedule_after: 7200,
      triggers: [{ type: 'event', within: 0 }, { type: 'event' }],
    });
    const sequence = new DeploymentSequenceTrigger({ triggers: [{ expect: ['a'] }, { expect: ['b'], within: 60 }] });
    expect(sequence.toJSON()).toMatchObject({
      type: 'sequence',
      within: null,
      triggers: [{ within: 0 }, { within: 60 }],
    });
  });

  it('check `require` as Prefect does', () => {
    expect(() => new DeploymentCompoundTrigger({ require: 0, triggers: [{}] })).toThrow('require must be at least 1');
  });
});
