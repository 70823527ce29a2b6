// Trigger validation, ported from Prefect's client and server schema tests
// (tests/events/client/test_deployment_trigger_schema.py, test_automations_schema.py, server compound tests).
import { parseDuration } from '../../../core/duration';
import { assignTriggerIds, type Trigger, triggerSchema } from '../../../core/triggers/schema';
import { idSource } from './helpers';

function issues(input: unknown): { path: string; message: string }[] {
  const result = triggerSchema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('triggerSchema: event triggers', () => {
  it('defaults an empty object to a Reactive trigger for every event', () => {
    expect(triggerSchema.parse({})).toEqual({
      type: 'event',
      match: {},
      match_related: {},
      after: [],
      expect: [],
      for_each: [],
      posture: 'Reactive',
      threshold: 1,
      within: 0,
    });
  });

  it('gives a Proactive trigger without a window a 10-second window', () => {
    expect(triggerSchema.parse({ posture: 'Proactive' })).toMatchObject({ posture: 'Proactive', within: 10 });
    expect(triggerSchema.parse({ posture: 'Proactive', within: 0 })).toMatchObject({ within: 10 });
  });

  it('rejects a negative window for Reactive triggers', () => {
    expect(issues({ posture: 'Reactive', within: -1 })).toEqual([
      { path: 'within', message: 'Input should be greater than or equal to 0 seconds' },
    ]);
  });

  it.each([-1, 9, 'PT9S'])('rejects a Proactive window of %p', (within) => {
    expect(issues({ posture: 'Proactive', within })).toEqual([
      { path: 'within', message: '`within` for Proactive triggers must be greater than or equal to 10 seconds' },
    ]);
  });

  it('rejects an explicit null window', () => {
    expect(issues({ posture: 'Reactive', within: null })).toEqual([
      { path: 'within', message: '`within` should be a valid timedelta' },
    ]);
  });

  it.each([
    [60, 60],
    [60.5, 60.5],
    ['PT10M', 600],
    ['P1D', 86_400],
    ['P1W', 604_800],
    ['PT1H30M', 5_400],
    ['01:00:00', 3_600],
    ['1 day, 01:00:00', 90_000],
    ['2 days, 00:00:01.5', 172_801.5],
  ])('normalises the duration %p to %p seconds', (within, seconds) => {
    const parsed = triggerSchema.parse({ within });
    expect(parsed).toMatchObject({ within: seconds });
    expect(JSON.parse(JSON.stringify(parsed))).toMatchObject({ within: seconds });
  });

  it.each(['42', 'ten minutes', true, {}])('rejects %p as a duration', (within) => {
    expect(issues({ within })[0]).toMatchObject({
      path: 'within',
      message: expect.stringContaining('valid timedelta'),
    });
  });

  it('accepts any integer threshold, including 0 and negatives, but not fractions', () => {
    expect(triggerSchema.parse({ threshold: 0 })).toMatchObject({ threshold: 0 });
    expect(triggerSchema.parse({ threshold: -3 })).toMatchObject({ threshold: -3 });
    expect(issues({ threshold: 1.5 })[0]!.path).toBe('threshold');
  });

  it('accepts match_related as one specification or a list, and label values as strings or lists', () => {
    const parsed = triggerSchema.parse({
      match: { 'prefect.resource.id': ['prefect.flow-run.*', 'prefect.task-run.*'] },
      match_related: [
        { 'prefect.resource.role': 'flow' },
        { 'prefect.resource.role': 'tag', 'prefect.resource.id': 'prefect.tag.x' },
      ],
    });
    expect(parsed).toMatchObject({ match_related: [{ 'prefect.resource.role': 'flow' }, expect.any(Object)] });
    expect(issues({ match: { 'prefect.resource.id': 5 } })[0]!.path).toBe('match.prefect.resource.id');
  });

  it('treats after, expect and for_each as sets', () => {
    expect(triggerSchema.parse({ expect: ['a', 'b', 'a'], for_each: ['x', 'x'] })).toMatchObject({
      expect: ['a', 'b'],
      for_each: ['x'],
    });
  });

  it('ignores fields it does not know, such as those of deployment triggers', () => {
    const parsed = triggerSchema.parse({
      name: 'A deployment automation',
      parameters: { x: 1 },
      enabled: true,
      expect: ['a'],
    });
    expect(parsed).not.toHaveProperty('name');
    expect(parsed).not.toHaveProperty('parameters');
  });

  it('rejects the Metric posture on an event trigger and an unknown type', () => {
    expect(issues({ type: 'event', posture: 'Metric' })[0]!.path).toBe('posture');
    expect(issues({ type: 'bogus' })[0]!.path).toBe('type');
  });
});

describe('triggerSchema: metric triggers', () => {
  it('deserialises a metric trigger from API-like data', () => {
    expect(
      triggerSchema.parse({
        type: 'metric',
        posture: 'Metric',
        metric: { name: 'duration', threshold: 100.0, operator: '>', range: 300.0, firing_for: 300.0 },
        match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      }),
    ).toEqual({
      type: 'metric',
      posture: 'Metric',
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      match_related: {},
      metric: { name: 'duration', threshold: 100, operator: '>', range: 300, firing_for: 300 },
    });
  });

  it('recognises a metric trigger by its posture and defaults range and firing_for to 300 s', () => {
    expect(
      triggerSchema.parse({ posture: 'Metric', metric: { name: 'successes', operator: '<', threshold: 1 } }),
    ).toMatchObject({
      type: 'metric',
      metric: { range: 300, firing_for: 300 },
    });
  });

  it('survives a round trip through JSON', () => {
    const parsed = triggerSchema.parse({
      posture: 'Metric',
      metric: { name: 'successes', threshold: 10, operator: '<', range: 600.0, firing_for: 'PT5M' },
    });
    expect(triggerSchema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });

  it('rejects a range or firing_for under five minutes', () => {
    expect(
      issues({
        posture: 'Metric',
        metric: { name: 'lateness', operator: '>', threshold: 5, range: 299, firing_for: 'PT4M' },
      }),
    ).toEqual([
      { path: 'metric.range', message: 'The minimum range is 300 seconds (5 minutes)' },
      { path: 'metric.firing_for', message: 'The minimum range is 300 seconds (5 minutes)' },
    ]);
  });

  it('rejects an unknown metric or operator', () => {
    expect(
      issues({ posture: 'Metric', metric: { name: 'speed', operator: '!=', threshold: 1 } }).map((issue) => issue.path),
    ).toEqual(['metric.name', 'metric.operator']);
  });
});

describe('triggerSchema: composite triggers', () => {
  it('recognises compound and sequence triggers without a type, nested', () => {
    const parsed = triggerSchema.parse({
      require: 'all',
      within: 42,
      triggers: [
        { type: 'compound', require: 'any', triggers: [{ expect: ['foo.bar'] }, { expect: ['buz.baz'] }] },
        { triggers: [{ posture: 'Reactive', expect: ['flibbdy.jibbidy'] }, { expect: ['floobity.bop'] }] },
      ],
    });
    expect(parsed).toMatchObject({
      type: 'compound',
      require: 'all',
      within: 42,
      triggers: [
        { type: 'compound', require: 'any', within: null, triggers: [{ type: 'event' }, { type: 'event' }] },
        {
          type: 'sequence',
          within: null,
          triggers: [{ type: 'event', posture: 'Reactive', within: 0 }, { type: 'event' }],
        },
      ],
    });
  });

  it('accepts a duration string or null as the window', () => {
    expect(triggerSchema.parse({ type: 'sequence', within: 'PT5M', triggers: [] })).toMatchObject({ within: 300 });
    expect(triggerSchema.parse({ type: 'sequence', within: null, triggers: [] })).toMatchObject({ within: null });
  });

  it.each([
    [0, 'require must be at least 1'],
    [3, 'require must be less than or equal to the number of triggers'],
  ])('rejects require %p with two triggers', (require, message) => {
    expect(issues({ type: 'compound', require, within: null, triggers: [{}, {}] })).toEqual([
      { path: 'require', message },
    ]);
  });

  it('names the path of an error deep in the tree', () => {
    expect(
      issues({
        type: 'sequence',
        triggers: [{ expect: ['a'] }, { triggers: [{ posture: 'Proactive', within: 5 }], require: 'any' }],
      }),
    ).toEqual([{ path: 'triggers.1.triggers.0.within', message: expect.stringContaining('10 seconds') }]);
  });
});

describe('assignTriggerIds', () => {
  it('gives every node a fresh id, in pre-order, without touching the input', () => {
    const input: Trigger = triggerSchema.parse({
      id: 'old-root',
      type: 'compound',
      require: 'any',
      triggers: [
        { id: 'old-leaf', expect: ['a'] },
        { type: 'sequence', triggers: [{ expect: ['b'] }] },
      ],
    });
    const withIds = assignTriggerIds(input, idSource('trigger'));
    expect(withIds).toMatchObject({
      id: 'trigger-1',
      triggers: [{ id: 'trigger-2' }, { id: 'trigger-3', triggers: [{ id: 'trigger-4' }] }],
    });
    expect(input).toMatchObject({ id: 'old-root', triggers: [{ id: 'old-leaf' }, { triggers: [{}] }] });
    expect(input.type === 'compound' && input.triggers[1]).not.toHaveProperty('id');
  });
});

describe('parseDuration', () => {
  it('reads signed pydantic and ISO forms and nothing else', () => {
    expect(parseDuration('-PT1M')).toBe(-60);
    expect(parseDuration('-1 day, 23:00:00')).toBe(-3_600);
    expect(parseDuration('P1Y2M')).toBe((365 + 60) * 86_400);
    expect(parseDuration('PT0,5S')).toBe(0.5);
    expect(parseDuration('P')).toBeUndefined();
    expect(parseDuration('PT')).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(undefined)).toBeUndefined();
  });
});
