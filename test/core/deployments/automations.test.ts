// Deployment triggers as automations, as Prefect's `as_automation` builds them
// (tests/events/client/test_deployment_trigger_schema.py, test_deployment_trigger_schedule_after.py).
import { automationInputSchema } from '../../../core/automations/schema';
import {
  deploymentOwnerResource,
  deploymentTriggerToAutomation,
  deploymentTriggersToAutomations,
  plainTrigger,
} from '../../../core/deployments/automations';
import { deploymentTriggerSchema } from '../../../core/deployments/schema';

const deployment = { id: '7d4f2a4e-1c5a-4c8e-9d0b-3f1e2a6b5c4d', name: 'my-deployment' };
const parse = (input: unknown) => deploymentTriggerSchema.parse(input);
const runDeployment = (extra: Record<string, unknown> = {}) => ({
  type: 'run-deployment',
  source: 'selected',
  deployment_id: deployment.id,
  parameters: null,
  job_variables: null,
  schedule_after: 0,
  ...extra,
});
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

describe('deploymentTriggersToAutomations', () => {
  it('turns the default trigger into a Reactive automation that runs the deployment', () => {
    expect(deploymentTriggersToAutomations(deployment, [parse({ name: 'A deployment automation' })])).toEqual([
      {
        name: 'A deployment automation',
        description: '',
        enabled: true,
        trigger: { type: 'event', ...reactive },
        actions: [runDeployment()],
        actions_on_trigger: [],
        actions_on_resolve: [],
        owner_resource: `prefect.deployment.${deployment.id}`,
        tags: [],
      },
    ]);
  });

  it('names unnamed triggers <deployment>__automation_<i>, counting from 1', () => {
    const automations = deploymentTriggersToAutomations(deployment, [parse({}), parse({ name: 'kept' }), parse({})]);
    expect(automations.map((a) => a.name)).toEqual([
      'my-deployment__automation_1',
      'kept',
      'my-deployment__automation_3',
    ]);
  });

  it('passes parameters, job_variables and schedule_after to the action and keeps them out of the trigger', () => {
    const trigger = parse({
      expect: ['foo'],
      parameters: { param_1: '{{ event }}' },
      job_variables: { nested: { foo: 'bar' } },
      schedule_after: 'PT1H',
      description: 'why',
      enabled: false,
    });
    const [automation] = deploymentTriggersToAutomations(deployment, [trigger]);
    expect(automation).toMatchObject({ description: 'why', enabled: false });
    expect(automation!.actions).toEqual([
      runDeployment({
        parameters: { param_1: '{{ event }}' },
        job_variables: { nested: { foo: 'bar' } },
        schedule_after: 3600,
      }),
    ]);
    expect(automation!.trigger).toEqual({ type: 'event', ...reactive, expect: ['foo'] });
  });

  it('keeps composite triggers whole, with plain children', () => {
    const trigger = parse({
      type: 'sequence',
      triggers: [
        { posture: 'Reactive', expect: ['foo.bar'] },
        { posture: 'Reactive', expect: ['buz.baz'] },
      ],
    });
    expect(deploymentTriggersToAutomations(deployment, [trigger])[0]!.trigger).toEqual({
      type: 'sequence',
      within: null,
      triggers: [
        { type: 'event', ...reactive, expect: ['foo.bar'] },
        { type: 'event', ...reactive, expect: ['buz.baz'] },
      ],
    });
  });

  it('produces plain JSON that automationInputSchema accepts unchanged', () => {
    const triggers = [
      parse({ expect: ['a'], parameters: { p: '{{ event }}' }, schedule_after: 60 }),
      parse({ posture: 'Proactive', expect: ['b'], within: 'PT5M' }),
      parse({ posture: 'Metric', metric: { name: 'successes', operator: '<', threshold: 0.5 } }),
      parse({ require: 'any', within: 30, triggers: [{ expect: ['c'] }, { triggers: [{ expect: ['d'] }] }] }),
    ];
    for (const automation of deploymentTriggersToAutomations(deployment, triggers)) {
      const json: unknown = JSON.parse(JSON.stringify(automation));
      expect(automationInputSchema.parse(json)).toEqual(json);
    }
  });
});

describe('deploymentTriggerToAutomation', () => {
  it("falls back to Prefect's 'Automation for deployment <id>' without a name", () => {
    expect(deploymentTriggerToAutomation(deployment.id, parse({})).name).toBe(
      `Automation for deployment ${deployment.id}`,
    );
  });

  it('owns the automation by the deployment resource', () => {
    expect(deploymentOwnerResource('abc')).toBe('prefect.deployment.abc');
  });
});

describe('plainTrigger', () => {
  it('drops exactly the deployment-only fields', () => {
    const trigger = parse({
      name: 'n',
      description: 'd',
      enabled: false,
      parameters: {},
      job_variables: {},
      schedule_after: 1,
    });
    expect(Object.keys(plainTrigger(trigger)).sort()).toEqual(Object.keys({ type: 'event', ...reactive }).sort());
  });
});
