// `tripwire deploy --trigger`, with Prefect's CLI trigger cases ported (tests/cli/test_deploy.py,
// TestDeploymentTrigger): JSON text, .json and .yaml files, several flags, precedence over prefect.yaml, bad values.
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { deploymentTriggersToAutomations } from '../../../core/deployments/automations';
import { type DeploymentTrigger, deploymentTriggerSchema } from '../../../core/deployments/schema';
import { parsePrefectYaml } from '../../../services/deployments/prefect-yaml';
import { applyTriggerOverrides, parseTriggerArgs, TriggerArgError } from '../../../services/deployments/trigger-args';
import { makeProject } from './fixtures/seed';

const dirs: string[] = [];
const project = (files: Record<string, string> = {}) => {
  const dir = makeProject(files);
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

// What Prefect's `_initialize_deployment_triggers` makes of the specs, as automations of deployment test-name-1.
const expected = (...specs: Record<string, unknown>[]) => specs.map((spec) => deploymentTriggerSchema.parse(spec));
const names = (triggers: DeploymentTrigger[]) =>
  deploymentTriggersToAutomations({ id: 'd-1', name: 'test-name-1' }, triggers).map((a) => a.name);

const completed = {
  enabled: true,
  match: { 'prefect.resource.id': 'prefect.flow-run.*' },
  expect: ['prefect.flow-run.Completed'],
  job_variables: { foo: 'bar' },
};

describe('parseTriggerArgs (TestDeploymentTriggerPassedViaCLI)', () => {
  it('reads one trigger from JSON text (test_json_string_trigger)', () => {
    const spec = { ...completed, within: 60, threshold: 2 };
    const triggers = parseTriggerArgs([JSON.stringify(spec)], project());
    expect(triggers).toEqual(expected(spec));
    expect(triggers[0]).toMatchObject({ within: 60, threshold: 2, job_variables: { foo: 'bar' }, name: null });
    expect(names(triggers)).toEqual(['test-name-1__automation_1']);
  });

  it('reads the top-level triggers of a .json file (test_json_file_trigger)', () => {
    const cwd = project({ 'triggers.json': JSON.stringify({ triggers: [completed] }) });
    expect(parseTriggerArgs(['triggers.json'], cwd)).toEqual(expected(completed));
  });

  it('reads the top-level triggers of a .yaml file (test_yaml_file_trigger)', () => {
    const cwd = project({ 'triggers.yaml': stringify({ triggers: [completed] }) });
    expect(parseTriggerArgs(['triggers.yaml'], cwd)).toEqual(expected(completed));
  });

  it('finds a file in a subdirectory of the working directory (test_nested_yaml_file_trigger)', () => {
    const cwd = project({ 'my_stuff/triggers.yaml': stringify({ triggers: [completed] }) });
    expect(parseTriggerArgs(['my_stuff/triggers.yaml'], cwd)).toEqual(expected(completed));
    expect(parseTriggerArgs([path.join(cwd, 'my_stuff/triggers.yaml')], '/')).toEqual(expected(completed));
  });

  it('appends the triggers of every flag in order (test_multiple_trigger_flags)', () => {
    const failed = {
      enabled: false,
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      expect: ['prefect.flow-run.Failed'],
    };
    const cwd = project({ 'triggers.yaml': stringify({ triggers: [failed] }) });
    const triggers = parseTriggerArgs([JSON.stringify(completed), 'triggers.yaml'], cwd);
    expect(triggers).toEqual(expected(completed, failed));
    expect(names(triggers)).toEqual(['test-name-1__automation_1', 'test-name-1__automation_2']);
  });

  it('reads a file without `triggers` as no triggers, as Prefect does', () => {
    const cwd = project({ 'empty.json': '{}', 'other.yaml': 'name: x\n' });
    expect(parseTriggerArgs(['empty.json', 'other.yaml'], cwd)).toEqual([]);
  });
});

describe('parseTriggerArgs: bad values (test_invalid_trigger_parsing)', () => {
  const failure = (values: string[], cwd: string): TriggerArgError => {
    try {
      parseTriggerArgs(values, cwd);
    } catch (error) {
      if (error instanceof TriggerArgError) return error;
      throw error;
    }
    throw new Error('expected a TriggerArgError');
  };

  it('refuses JSON that is not JSON', () => {
    const value = '{enabled: true, match: woodchonk.move.*}';
    const error = failure([value], project());
    expect(error.message).toMatch(
      /^Failed to parse trigger: \{enabled: true, match: woodchonk\.move\.\*\}\. Error: .+/,
    );
    expect(error.value).toBe(value);
  });

  it('refuses a .yaml file that is not a mapping of triggers', () => {
    const cwd = project({ 'invalid.yaml': 'pretty please, trigger my flow when you see the woodchonk' });
    expect(failure(['invalid.yaml'], cwd).message).toMatch(/^Failed to parse trigger: invalid\.yaml\. Error: /);
  });

  it('treats a .yml name as JSON text, as Prefect does, and fails', () => {
    const cwd = project({ 'triggers.yml': stringify({ triggers: [completed] }) });
    expect(failure(['triggers.yml'], cwd).message).toMatch(/^Failed to parse trigger: triggers\.yml\. Error: /);
  });

  it('says when a file is missing', () => {
    expect(failure(['nope.json'], project()).reason).toMatch(/ENOENT/);
  });

  it.each([
    ['a JSON list', '[{"expect": ["a"]}]', /a trigger must be a JSON object/],
    ['a bad field', '{"within": -1}', /^within: Input should be greater than or equal to 0 seconds$/],
  ])('refuses %s with the reason', (_case, value, reason) => {
    expect(failure([value], project()).reason).toMatch(reason);
  });

  it('names the trigger in a file that fails validation', () => {
    const cwd = project({ 't.json': JSON.stringify({ triggers: [{}, { schedule_after: -1 }] }) });
    expect(failure(['t.json'], cwd).reason).toBe('triggers[1].schedule_after: schedule_after must be non-negative');
  });

  it('refuses a `triggers` that is not a list', () => {
    const cwd = project({ 't.json': JSON.stringify({ triggers: { expect: ['a'] } }) });
    expect(failure(['t.json'], cwd).reason).toBe('the top-level `triggers` must be a list');
  });
});

describe('parseTriggerArgs: trigger specs (TestDeploymentTriggerSyncing)', () => {
  it('keeps a given name and fills in the rest (test_initialize_named_deployment_triggers)', () => {
    const spec = {
      name: 'Trigger McTriggerson',
      enabled: true,
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      expect: ['prefect.flow-run.Completed'],
      match_related: { 'prefect.resource.name': 'seed', 'prefect.resource.role': 'flow' },
      job_variables: { foo: 'bar' },
    };
    expect(parseTriggerArgs([JSON.stringify(spec)], project())).toEqual([
      {
        type: 'event',
        name: 'Trigger McTriggerson',
        description: '',
        enabled: true,
        match: { 'prefect.resource.id': 'prefect.flow-run.*' },
        match_related: { 'prefect.resource.name': 'seed', 'prefect.resource.role': 'flow' },
        after: [],
        expect: ['prefect.flow-run.Completed'],
        for_each: [],
        posture: 'Reactive',
        threshold: 1,
        within: 0,
        parameters: null,
        job_variables: { foo: 'bar' },
        schedule_after: 0,
      },
    ]);
  });

  it('drops deployment fields inside composite children (test_initialize_deployment_triggers_composite)', () => {
    const spec = {
      name: 'Trigger McTriggerson',
      enabled: true,
      type: 'compound',
      require: 'all',
      job_variables: { foo: 'bar' },
      triggers: [
        { type: 'event', enabled: true, expect: ['prefect.flow-run.Completed'], job_variables: { foo: 'bar' } },
      ],
    };
    const [trigger] = parseTriggerArgs([JSON.stringify(spec)], project());
    expect(trigger).toMatchObject({ type: 'compound', job_variables: { foo: 'bar' } });
    expect((trigger as Extract<DeploymentTrigger, { type: 'compound' }>).triggers[0]).not.toHaveProperty(
      'job_variables',
    );
  });

  it('leaves job_variables null when not given (test_deployment_triggers_without_job_variables)', () => {
    expect(parseTriggerArgs(['{"expect": ["a"]}'], project())[0]!.job_variables).toBeNull();
  });
});

describe('applyTriggerOverrides (test_override_on_trigger_conflict)', () => {
  const file = parsePrefectYaml(
    `deployments:
  - name: test-name-1
    entrypoint: flows/hello.ts:myFlow
    triggers:
      - enabled: true
        match:
          prefect.resource.id: prefect.flow-run.*
        expect:
          - prefect.flow-run.Completed
`,
    { baseDir: '/project' },
  );
  const [fromFile] = file.deployments;

  it('replaces the file triggers with the --trigger ones entirely', () => {
    const cliSpec = {
      enabled: true,
      match: { 'prefect.resource.id': 'prefect.flow-run.*' },
      expect: ['prefect.flow-run.Failed'],
    };
    const cli = parseTriggerArgs([JSON.stringify(cliSpec)], '/project');
    const deployed = applyTriggerOverrides(fromFile!, cli);
    expect(deployed.triggers).toEqual(expected(cliSpec));
    expect(deployed.triggers).toHaveLength(1);
    expect(fromFile!.triggers[0]!.type === 'event' && fromFile!.triggers[0]!.expect).toEqual([
      'prefect.flow-run.Completed',
    ]);
  });

  it('keeps the file triggers when no --trigger was given', () => {
    expect(applyTriggerOverrides(fromFile!, undefined)).toBe(fromFile);
  });

  it('replaces with nothing when the --trigger files held no triggers', () => {
    expect(applyTriggerOverrides(fromFile!, []).triggers).toEqual([]);
  });
});
