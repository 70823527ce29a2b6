// Reading prefect.yaml: the issue's seed file end to end (file → deployments → automations), error paths, the
// deploy-time template rule, entry point resolution and deployment selection.
import fs from 'node:fs';
import path from 'node:path';
import { deploymentTriggersToAutomations } from '../../../core/deployments/automations';
import { deploymentSchema } from '../../../core/deployments/schema';
import {
  formatPath,
  loadPrefectYaml,
  parsePrefectYaml,
  PrefectYamlError,
  selectDeployments,
} from '../../../services/deployments/prefect-yaml';
import { FLOW_FILE, makeProject, SEED_PREFECT_YAML } from './fixtures/seed';

const dirs: string[] = [];
const project = (files: Record<string, string>) => {
  const dir = makeProject(files);
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const parseText = (text: string) => parsePrefectYaml(text, { baseDir: '/project', file: 'prefect.yaml' });
function problems(text: string): { path: string; message: string }[] {
  try {
    parseText(text);
  } catch (error) {
    if (error instanceof PrefectYamlError) return error.issues;
    throw error;
  }
  throw new Error('expected the file to be rejected');
}

const reactive = { match_related: {}, after: [], for_each: [], posture: 'Reactive', threshold: 1, within: 0 };
const pinged = {
  type: 'event',
  ...reactive,
  match: { 'prefect.resource.id': 'my.external.resource' },
  expect: ['external.resource.pinged'],
};

describe('loadPrefectYaml: the seed file', () => {
  const dir = project({ 'prefect.yaml': SEED_PREFECT_YAML, 'flows/my_flow.ts': FLOW_FILE });
  const loaded = loadPrefectYaml(path.join(dir, 'prefect.yaml'));
  const [deployment] = loaded.deployments;

  it('resolves the entry point against the directory of the file', () => {
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.deployments).toHaveLength(1);
    expect(deployment).toMatchObject({
      name: 'my-deployment',
      entrypoint: `${path.join(dir, 'flows', 'my_flow.ts')}:myFlow`,
      work_pool: { name: 'my-process-work-pool' },
      parameters: {},
      description: '',
    });
  });

  it('parses the three triggers, keeping their run parameters verbatim', () => {
    const deploymentFields = { name: null, description: '', enabled: true, job_variables: null };
    expect(deployment!.triggers).toEqual([
      { ...pinged, ...deploymentFields, parameters: { param_1: '{{ event }}' }, schedule_after: 0 },
      { ...pinged, ...deploymentFields, parameters: { param_1: '{{ event }}' }, schedule_after: 7200 },
      {
        type: 'compound',
        require: 'all',
        within: null,
        triggers: [pinged, { ...pinged, expect: ['external.resource.replied'] }],
        ...deploymentFields,
        parameters: { param_1: '{{ event }}' },
        schedule_after: 7200,
      },
    ]);
  });

  it('becomes three automations named by position, running the deployment after the delay', () => {
    const automations = deploymentTriggersToAutomations({ id: 'd-1', name: deployment!.name }, deployment!.triggers);
    expect(automations.map((a) => a.name)).toEqual([
      'my-deployment__automation_1',
      'my-deployment__automation_2',
      'my-deployment__automation_3',
    ]);
    expect(automations.map((a) => a.actions[0])).toEqual(
      [0, 7200, 7200].map((scheduleAfter) => ({
        type: 'run-deployment',
        source: 'selected',
        deployment_id: 'd-1',
        parameters: { param_1: '{{ event }}' },
        job_variables: null,
        schedule_after: scheduleAfter,
      })),
    );
    expect(automations.every((a) => a.owner_resource === 'prefect.deployment.d-1')).toBe(true);
  });

  it('is a body POST /api/deployments accepts unchanged', () => {
    const body: unknown = JSON.parse(JSON.stringify(deployment));
    expect(deploymentSchema.parse(body)).toEqual(body);
  });
});

describe('parsePrefectYaml: errors name the deployment and the field', () => {
  it('gives the path of a bad trigger field and the deployment name', () => {
    const text = `deployments:
  - name: first
    entrypoint: a.ts:a
  - name: second
    entrypoint: b.ts:b
    triggers:
      - within: -5
`;
    expect(problems(text)).toEqual([
      {
        path: 'deployments[1].triggers[0].within',
        message: "Input should be greater than or equal to 0 seconds (in deployment 'second')",
      },
    ]);
  });

  it('lists every problem in every deployment', () => {
    const text = `deployments:
  - entrypoint: a.ts
  - name: ok
    entrypoint: b.ts:b
    triggers:
      - schedule_after: "3600"
        match:
          prefect.resource.id: 7
`;
    expect(problems(text).map((p) => p.path)).toEqual([
      'deployments[0].name',
      'deployments[0].entrypoint',
      "deployments[1].triggers[0].match['prefect.resource.id']",
      'deployments[1].triggers[0].schedule_after',
    ]);
  });

  it('puts the file name and every problem in the message', () => {
    expect(() => parseText('deployments:\n  - name: x\n')).toThrow(
      /^prefect\.yaml:\n {2}deployments\[0\]\.entrypoint: entrypoint is required/,
    );
  });

  it('refuses a parameter schema that does not compile, naming the problem', () => {
    const text = 'deployments:\n  - name: x\n    entrypoint: a.ts:a\n    parameter_schema:\n      type: nope\n';
    expect(problems(text)).toEqual([
      {
        path: 'deployments[0].parameter_schema',
        message: expect.stringMatching(/^Invalid schema: .+\(in deployment 'x'\)$/),
      },
    ]);
  });

  it.each([
    ['a file that is not YAML', 'deployments: [', ''],
    ['a file that is not a mapping', '- a\n- b\n', ''],
    ['deployments that are not a list', 'deployments: {}\n', 'deployments'],
    ['a deployment that is not a mapping', 'deployments:\n  - just-a-name\n', 'deployments[0]'],
  ])('refuses %s', (_case, text, at) => {
    expect(problems(text)).toEqual([{ path: at, message: expect.any(String) }]);
  });

  it('refuses a deployment name used twice', () => {
    const text = 'deployments:\n  - {name: x, entrypoint: a.ts:a}\n  - {name: x, entrypoint: b.ts:b}\n';
    expect(problems(text)).toEqual([{ path: 'deployments[1].name', message: "deployment 'x' is defined twice" }]);
  });
});

describe('parsePrefectYaml: deploy-time templates', () => {
  it('refuses {{ }} in the fields tripwire reads, with the path', () => {
    const text = `deployments:
  - name: x
    entrypoint: a.ts:a
    description: "{{ build-step.output }}"
    work_pool:
      name: "{{ prefect.variables.pool }}"
    triggers:
      - enabled: "{{ prefect.variables.is_prod }}"
        job_variables:
          image: "{{ build-image.image }}"
`;
    expect(problems(text).map((p) => p.path)).toEqual([
      'deployments[0].description',
      'deployments[0].work_pool.name',
      'deployments[0].triggers[0].enabled',
      'deployments[0].triggers[0].job_variables.image',
    ]);
    expect(problems(text)[0]!.message).toMatch(/^deploy-time templates \(\{\{ … \}\}\) are not supported by tripwire/);
  });

  it('keeps run parameters verbatim and ignores the sections tripwire does not read', () => {
    const text = `pull:
  - prefect.deployments.steps.set_working_directory:
      directory: "{{ $PWD }}"
deployments:
  - name: x
    version: "{{ build-image.tag }}"
    entrypoint: a.ts:a
    parameters:
      when: "{{ prefect.variables.when }}"
    work_pool:
      name: pool
      job_variables:
        image: "{{ build-image.image }}"
    triggers:
      - parameters:
          param_1: "{{ event }}"
          count: "{{ event.payload.count }}"
      - require: any
        triggers:
          - expect: [a]
            parameters:
              dropped: "{{ event }}"
`;
    const [deployment] = parseText(text).deployments;
    expect(deployment!.parameters).toEqual({ when: '{{ prefect.variables.when }}' });
    expect(deployment!.triggers[0]!.parameters).toEqual({ param_1: '{{ event }}', count: '{{ event.payload.count }}' });
    expect(deployment).not.toHaveProperty('version');
  });
});

describe('parsePrefectYaml: the rest of the file format', () => {
  it('reads anchors and merge keys, as prefect.yaml definitions use them', () => {
    const text = `definitions:
  work_pools: &pool
    name: shared-pool
    job_variables: {}
  base: &base
    entrypoint: flows/a.ts:run
    tags: [nightly]
deployments:
  - <<: *base
    name: x
    work_pool: *pool
`;
    expect(parseText(text).deployments[0]).toMatchObject({
      name: 'x',
      entrypoint: '/project/flows/a.ts:run',
      work_pool: { name: 'shared-pool' },
      tags: ['nightly'],
    });
  });

  it('gives every deployment a triggers list, so a deploy replaces its automations', () => {
    expect(parseText('deployments:\n  - {name: x, entrypoint: a.ts:a}\n').deployments[0]!.triggers).toEqual([]);
  });

  it('keeps an absolute entry point as it is', () => {
    expect(parseText('deployments:\n  - {name: x, entrypoint: /srv/flows/a.ts:a}\n').deployments[0]!.entrypoint).toBe(
      '/srv/flows/a.ts:a',
    );
  });

  it('reads how a flow runs: activities resolved like the entry point, entrypoint_type, retries and timeout', () => {
    const [deployment] = parseText(`deployments:
  - name: x
    entrypoint: flows/a.ts:a
    activities: flows/activities.ts
    retries: 2
    retry_delay_seconds: 10
    timeout_seconds: 600
  - name: y
    entrypoint: flows/b.ts:b
    entrypoint_type: function
  - name: z
    entrypoint: syncOrders
    work_pool: {name: orders, type: external}
`).deployments;
    expect(deployment).toMatchObject({
      entrypoint: '/project/flows/a.ts:a',
      entrypoint_type: 'workflow',
      activities: '/project/flows/activities.ts',
      retries: 2,
      retry_delay_seconds: 10,
      timeout_seconds: 600,
    });
    const all = parseText(`deployments:
  - {name: y, entrypoint: flows/b.ts:b, entrypoint_type: function}
  - {name: z, entrypoint: syncOrders, work_pool: {name: orders, type: external}}
`).deployments;
    expect(all[0]).toMatchObject({ entrypoint: '/project/flows/b.ts:b', entrypoint_type: 'function' });
    expect(all[1]).toMatchObject({ entrypoint: 'syncOrders', work_pool: { name: 'orders', type: 'external' } });
  });

  it('reads an empty file as no deployments', () => {
    expect(parseText('').deployments).toEqual([]);
    expect(parseText('name: project\n').deployments).toEqual([]);
  });
});

describe('loadPrefectYaml: the file system', () => {
  it('refuses an entry point whose file does not exist', () => {
    const dir = project({ 'prefect.yaml': 'deployments:\n  - {name: x, entrypoint: flows/missing.ts:run}\n' });
    expect(() => loadPrefectYaml(path.join(dir, 'prefect.yaml'))).toThrow(
      `deployments[0].entrypoint: no file at ${path.join(dir, 'flows', 'missing.ts')} (in deployment 'x')`,
    );
  });

  it('refuses an activities module whose file does not exist, and does not look for an external flow', () => {
    const dir = project({
      'prefect.yaml':
        'deployments:\n  - {name: x, entrypoint: flows/my_flow.ts:myFlow, activities: flows/missing.ts}\n' +
        '  - {name: y, entrypoint: syncOrders, work_pool: {name: q, type: external}}\n',
    });
    expect(() => loadPrefectYaml(path.join(dir, 'prefect.yaml'))).toThrow(
      `deployments[0].activities: no file at ${path.join(dir, 'flows', 'missing.ts')} (in deployment 'x')`,
    );
  });

  it('says when the file cannot be read', () => {
    expect(() => loadPrefectYaml('/nonexistent/prefect.yaml')).toThrow(/unable to read the file: ENOENT/);
  });
});

describe('selectDeployments', () => {
  const file = parseText(`deployments:
  - {name: a, entrypoint: a.ts:a}
  - {name: b, entrypoint: b.ts:b}
  - {name: c, entrypoint: c.ts:c}
`);

  it('returns every deployment without a name, else the named ones in file order', () => {
    expect(selectDeployments(file).map((d) => d.name)).toEqual(['a', 'b', 'c']);
    expect(selectDeployments(file, 'b').map((d) => d.name)).toEqual(['b']);
    expect(selectDeployments(file, ['c', 'a']).map((d) => d.name)).toEqual(['a', 'c']);
  });

  it("accepts Prefect's <flow>/<deployment> form", () => {
    expect(selectDeployments(file, 'my-flow/b').map((d) => d.name)).toEqual(['b']);
  });

  it('names the missing deployment and the known ones', () => {
    expect(() => selectDeployments(file, 'nope')).toThrow("no deployment named 'nope' (it has: a, b, c)");
  });
});

describe('formatPath', () => {
  it('writes indices in brackets and quotes keys that are not names', () => {
    expect(formatPath(['deployments', 1, 'triggers', 0, 'match', 'prefect.resource.id'])).toBe(
      "deployments[1].triggers[0].match['prefect.resource.id']",
    );
    expect(formatPath([])).toBe('');
  });
});
