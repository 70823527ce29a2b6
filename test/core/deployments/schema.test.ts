// Deployment and deployment-trigger schemas, with Prefect's client tests ported
// (tests/events/client/test_deployment_trigger_schema.py, test_deployment_trigger_schedule_after.py).
import {
  type DeploymentTrigger,
  deploymentCompoundTriggerSchema,
  deploymentEventTriggerSchema,
  deploymentMetricTriggerSchema,
  deploymentSchema,
  deploymentSequenceTriggerSchema,
  deploymentTriggerSchema,
  splitEntrypoint,
} from '../../../core/deployments/schema';

function issues(
  schema: {
    safeParse(input: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  input: unknown,
) {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

const deploymentDefaults = {
  name: null,
  description: '',
  enabled: true,
  parameters: null,
  job_variables: null,
  schedule_after: 0,
};
const reactive = {
  match: {},
  match_related: {},
  after: [],
  expect: [],
  for_each: [],
  posture: 'Reactive',
  threshold: 1,
  within: 0,
};

describe('deploymentTriggerSchema', () => {
  it('defaults to an empty Reactive event trigger that matches every event', () => {
    expect(deploymentTriggerSchema.parse({ name: 'A deployment automation' })).toEqual({
      type: 'event',
      ...reactive,
      ...deploymentDefaults,
      name: 'A deployment automation',
    });
  });

  it('leaves the name null until one is given (set later by deploy)', () => {
    expect(deploymentTriggerSchema.parse({}).name).toBeNull();
    expect(deploymentTriggerSchema.parse({ name: null }).name).toBeNull();
  });

  it('gives a Proactive trigger without a window 10 seconds', () => {
    expect(deploymentTriggerSchema.parse({ posture: 'Proactive' })).toMatchObject({ type: 'event', within: 10 });
  });

  it.each([
    ['Reactive', -1, 'greater than or equal to 0 seconds'],
    ['Proactive', -1, 'greater than or equal to 10 seconds'],
    ['Proactive', 9, 'greater than or equal to 10 seconds'],
  ])('rejects a %s window of %p', (posture, within, message) => {
    expect(issues(deploymentTriggerSchema, { posture, within })).toEqual([
      { path: 'within', message: expect.stringContaining(message) },
    ]);
  });

  it('reads a metric trigger from posture Metric', () => {
    const trigger = deploymentTriggerSchema.parse({
      name: 'A deployment automation',
      posture: 'Metric',
      metric: { name: 'successes', operator: '<', threshold: 1 },
    });
    expect(trigger).toEqual({
      type: 'metric',
      posture: 'Metric',
      match: {},
      match_related: {},
      metric: { name: 'successes', operator: '<', threshold: 1, range: 300, firing_for: 300 },
      ...deploymentDefaults,
      name: 'A deployment automation',
    });
  });

  it('reads a compound trigger whose children are plain triggers', () => {
    const trigger = deploymentTriggerSchema.parse({
      type: 'compound',
      require: 'all',
      within: 42,
      parameters: { x: '{{ event }}' },
      triggers: [{ expect: ['foo.bar'], parameters: { dropped: true } }, { expect: ['buz.baz'] }],
    });
    expect(trigger).toEqual({
      type: 'compound',
      require: 'all',
      within: 42,
      triggers: [
        { type: 'event', ...reactive, expect: ['foo.bar'] },
        { type: 'event', ...reactive, expect: ['buz.baz'] },
      ],
      ...deploymentDefaults,
      parameters: { x: '{{ event }}' },
    });
  });

  it('tells compound from sequence by `require` when `type` is absent, at any depth', () => {
    const trigger = deploymentTriggerSchema.parse({
      require: 'all',
      within: 42,
      triggers: [
        { require: 'any', triggers: [{ expect: ['foo.bar'] }, { expect: ['buz.baz'] }] },
        { triggers: [{ expect: ['flibbdy.jibbidy'] }, { expect: ['floobity.bop'] }] },
      ],
    });
    expect(trigger.type).toBe('compound');
    const [compound, sequence] = (trigger as Extract<DeploymentTrigger, { type: 'compound' }>).triggers;
    expect(compound).toMatchObject({ type: 'compound', require: 'any', within: null });
    expect(sequence).toMatchObject({ type: 'sequence', within: null });
  });

  it('checks `require` against the number of triggers', () => {
    expect(issues(deploymentTriggerSchema, { type: 'compound', require: 3, triggers: [{}, {}] })).toEqual([
      { path: 'require', message: 'require must be less than or equal to the number of triggers' },
    ]);
  });

  it('keeps parameters verbatim, templates and nested kinds included', () => {
    const parameters = {
      param_1: '{{ event }}',
      nested: { a: ['{{ x }}'], k: { __prefect_kind: 'json', value: '1' } },
    };
    expect(deploymentTriggerSchema.parse({ parameters }).parameters).toEqual(parameters);
  });

  it('ignores unknown keys, as Prefect does', () => {
    expect(deploymentTriggerSchema.parse({ expect: ['x'], surprise: 1 })).not.toHaveProperty('surprise');
  });

  it('accepts its own output unchanged', () => {
    const once = deploymentTriggerSchema.parse({
      type: 'compound',
      require: 1,
      within: 'PT1M',
      schedule_after: 'PT2H',
      triggers: [
        { posture: 'Proactive', expect: ['a'] },
        { posture: 'Metric', metric: { name: 'lateness', operator: '>', threshold: 5 } },
      ],
    });
    expect(deploymentTriggerSchema.parse(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });
});

describe('deploymentTriggerSchema: schedule_after (test_deployment_trigger_schedule_after.py)', () => {
  it('defaults to 0', () => {
    expect(deploymentTriggerSchema.parse({ expect: ['foo'] }).schedule_after).toBe(0);
  });

  it.each<[unknown, number]>([
    [3600, 3600],
    [1.5, 1.5],
    ['PT2H', 7200],
    ['P1D', 86_400],
    ['P1W', 604_800],
    ['01:00:00', 3600],
    ['1 day, 01:00:00', 90_000],
  ])('reads %p as %p seconds', (scheduleAfter, seconds) => {
    expect(deploymentTriggerSchema.parse({ expect: ['foo'], schedule_after: scheduleAfter }).schedule_after).toBe(
      seconds,
    );
  });

  it.each([-3600, '-PT1H'])('rejects a negative delay %p', (scheduleAfter) => {
    expect(issues(deploymentTriggerSchema, { expect: ['foo'], schedule_after: scheduleAfter })).toEqual([
      { path: 'schedule_after', message: 'schedule_after must be non-negative' },
    ]);
  });

  it.each<[unknown]>([['3600'], ['soon'], [null], [true]])('rejects %p, as current pydantic does', (scheduleAfter) => {
    expect(issues(deploymentTriggerSchema, { schedule_after: scheduleAfter })).toEqual([
      { path: 'schedule_after', message: expect.stringMatching(/^schedule_after should be a valid duration/) },
    ]);
  });
});

describe('the per-kind deployment trigger schemas', () => {
  it('default `type` to their own kind', () => {
    expect(deploymentEventTriggerSchema.parse({ expect: ['foo'] }).type).toBe('event');
    expect(deploymentSequenceTriggerSchema.parse({ triggers: [{}] }).type).toBe('sequence');
    expect(deploymentCompoundTriggerSchema.parse({ require: 'any', triggers: [{}] }).type).toBe('compound');
    expect(
      deploymentMetricTriggerSchema.parse({ metric: { name: 'duration', operator: '>', threshold: 60 } }).type,
    ).toBe('metric');
  });

  it('reject another kind', () => {
    expect(deploymentEventTriggerSchema.safeParse({ type: 'sequence', triggers: [] }).success).toBe(false);
  });
});

describe('deploymentSchema', () => {
  const minimal = { name: 'my-deployment', entrypoint: 'flows/my_flow.ts:myFlow' };

  it('fills in the defaults', () => {
    expect(deploymentSchema.parse(minimal)).toEqual({
      ...minimal,
      description: '',
      entrypoint_type: 'workflow',
      activities: undefined,
      work_pool: { name: 'default', type: 'tripwire' },
      parameters: {},
      parameter_schema: undefined,
      tags: undefined,
      retries: 0,
      retry_delay_seconds: 0,
      timeout_seconds: undefined,
      triggers: undefined,
    });
  });

  it("reads how the flow runs: its entrypoint's type, activities module, retries and timeout", () => {
    const parsed = deploymentSchema.parse({
      ...minimal,
      entrypoint_type: 'workflow',
      activities: ' flows/activities.ts ',
      retries: 2,
      retry_delay_seconds: 1.5,
      timeout_seconds: 60,
    });
    expect(parsed).toMatchObject({
      entrypoint_type: 'workflow',
      activities: 'flows/activities.ts',
      retries: 2,
      retry_delay_seconds: 1.5,
      timeout_seconds: 60,
    });
    expect(deploymentSchema.parse({ ...minimal, entrypoint_type: 'function' }).entrypoint_type).toBe('function');
  });

  it.each<[Record<string, unknown>, string, RegExp]>([
    [{ entrypoint_type: 'script' }, 'entrypoint_type', /one of: workflow, function/],
    [{ retries: -1 }, 'retries', /not be negative/],
    [{ retries: 1.5 }, 'retries', /whole number/],
    [{ retry_delay_seconds: -1 }, 'retry_delay_seconds', /not be negative/],
    [{ timeout_seconds: 0 }, 'timeout_seconds', /positive/],
    [{ entrypoint_type: 'function', activities: 'a.ts' }, 'activities', /entrypoint_type workflow/],
    [{ work_pool: { name: 'p', type: 'docker' } }, 'work_pool.type', /one of: tripwire, external/],
    [{ work_pool: { name: 'p', type: 'external' }, entrypoint_type: 'function' }, 'entrypoint_type', /workflows/],
    [{ work_pool: { name: 'p', type: 'external' }, activities: 'a.ts' }, 'activities', /registers its own/],
    [{ entrypoint: 'syncOrders' }, 'entrypoint', /path\/to\/flow.ts:exportedFn/],
  ])('rejects %j naming the field', (extra, path, message) => {
    expect(issues(deploymentSchema, { ...minimal, ...extra })).toEqual([
      { path, message: expect.stringMatching(message) },
    ]);
  });

  it('takes a bare workflow type as the entrypoint on an external work pool', () => {
    const parsed = deploymentSchema.parse({
      ...minimal,
      entrypoint: 'syncOrders',
      work_pool: { name: 'orders', type: 'external' },
    });
    expect(parsed).toMatchObject({ entrypoint: 'syncOrders', work_pool: { name: 'orders', type: 'external' } });
  });

  it.each<[unknown, string]>([
    ['my-pool', 'my-pool'],
    [{ name: 'my-pool', work_queue_name: null, job_variables: {} }, 'my-pool'],
    [{ name: null }, 'default'],
    [null, 'default'],
  ])('reads work_pool %j', (workPool, name) => {
    expect(deploymentSchema.parse({ ...minimal, work_pool: workPool }).work_pool).toEqual({ name, type: 'tripwire' });
  });

  it.each(['flows/my_flow.ts', 'flows/my_flow.ts:', ':myFlow', 'flows/my_flow.ts:my-flow'])(
    'rejects the entrypoint %p with a clear message',
    (entrypoint) => {
      expect(issues(deploymentSchema, { ...minimal, entrypoint })).toEqual([
        { path: 'entrypoint', message: expect.stringContaining('"path/to/flow.ts:exportedFn"') },
      ]);
    },
  );

  it('says which required field is missing', () => {
    expect(issues(deploymentSchema, {})).toEqual([
      { path: 'name', message: 'name is required' },
      { path: 'entrypoint', message: 'entrypoint is required' },
    ]);
    expect(issues(deploymentSchema, { ...minimal, name: '  ' })).toEqual([
      { path: 'name', message: 'name must not be empty' },
    ]);
  });

  it('keeps parameters verbatim and parses triggers with their paths in errors', () => {
    const parsed = deploymentSchema.parse({ ...minimal, parameters: { p: '{{ x }}' }, triggers: [{ expect: ['a'] }] });
    expect(parsed.parameters).toEqual({ p: '{{ x }}' });
    expect(parsed.triggers).toHaveLength(1);
    expect(issues(deploymentSchema, { ...minimal, triggers: [{}, { within: -1 }] })).toEqual([
      { path: 'triggers.1.within', message: 'Input should be greater than or equal to 0 seconds' },
    ]);
  });

  it('requires parameter_schema to be an object', () => {
    expect(deploymentSchema.parse({ ...minimal, parameter_schema: { type: 'object' } }).parameter_schema).toEqual({
      type: 'object',
    });
    expect(deploymentSchema.safeParse({ ...minimal, parameter_schema: 'object' }).success).toBe(false);
  });
});

describe('splitEntrypoint', () => {
  it('splits at the last colon, so Windows drive letters survive', () => {
    expect(splitEntrypoint('flows/a.ts:run')).toEqual({ file: 'flows/a.ts', exportName: 'run' });
    expect(splitEntrypoint('C:\\flows\\a.ts:run')).toEqual({ file: 'C:\\flows\\a.ts', exportName: 'run' });
    expect(() => splitEntrypoint('flows/a.ts')).toThrow('entrypoint must look like');
  });
});
