// The README's "Deployment triggers" walk-through, followed as written against a real tripwire, Temporal and the
// compiled CLI: every command of the section's shell blocks is run here, in order, from examples/ (the test fails if
// the README gains a command it does not run, or loses one it does). The only rewrites: `npx tripwire` is the built
// bin/tripwire.js, and the address http://127.0.0.1:4200 is this test's tripwire. The example's work pool lives in a
// Temporal namespace of its own, so its fixed queue name meets no other test's worker.
import fs from 'node:fs';
import path from 'node:path';
import { createTestNamespace } from '../helpers/temporal-namespace';
import { eventually, startTestTripwire, type TestTripwire } from '../helpers/tripwire';
import { readmeSection, shellCommands } from './readme';
import { ReadmeShell } from './shell';

/** What a newcomer types before the walk-through; the test gives the CLI its key and folder itself. */
const SETUP = ['export TRIPWIRE_API_KEY=$(cat .data/api-key)', 'cd examples'];
/** How long a run may take to appear or end: the worker bundles the flows after each deploy. */
const RUN_WAIT_MS = 90_000;

interface Run {
  id: string;
  state: { type: string; name: string };
  parameters: Record<string, unknown>;
  expected_start_time: string;
  created_by: { type: string; display_value: string | null } | null;
  triggered_by: { automation_name: string; event: { event: string } | null; events: { event: string }[] } | null;
  result?: unknown;
}

// Each step waits for runs that the worker runs after bundling the flows anew; a loaded machine takes a while.
jest.setTimeout(240_000);

describe('README: Deployment triggers, followed as written', () => {
  let tw: TestTripwire;
  let namespace: string;
  const shell = new ReadmeShell(shellCommands(readmeSection('Deployment triggers')), () => ({
    url: tw.url,
    apiKey: tw.apiKey,
    namespace,
  }));
  const ok = (command: string) => shell.ok(command);

  beforeAll(async () => {
    namespace = await createTestNamespace();
    tw = await startTestTripwire({ env: { TEMPORAL_NAMESPACE: namespace } });
  });
  afterAll(async () => {
    await shell.stopAll();
    await tw?.stop();
  });

  const runs = async (deployment: string): Promise<Run[]> =>
    (await tw.api('GET', `/api/flow-runs?deployment=${deployment}`)).json();
  const waitForRun = (deployment: string, what: string, test: (run: Run) => boolean) =>
    eventually(async () => (await runs(deployment)).find(test), RUN_WAIT_MS, what);
  const owned = async (deploymentName: string) => {
    const deployment = await (await tw.api('GET', `/api/deployments/${deploymentName}`)).json();
    const all = (await (await tw.api('GET', '/api/automations')).json()) as {
      name: string;
      owner_resource: string | null;
      trigger: { expect?: string[] };
    }[];
    return all.filter((a) => a.owner_resource === `prefect.deployment.${deployment.id}`);
  };

  it('sets up as the README says: the key, examples/, and a worker for the work pool', async () => {
    shell.given(...SETUP);
    await shell.start(
      'npx tripwire worker --pool my-process-work-pool',
      /Worker polling work pool my-process-work-pool/,
    );
  });

  it('1. runs my-deployment from its prefect.yaml trigger, and run get shows the run', async () => {
    const deployed = await ok('npx tripwire deploy --name my-deployment');
    expect(deployed).toMatch(
      /^my-deployment\s+\S+\s+my-process-work-pool\s+\S+my_flow\.ts:myFlow\s+my-deployment__automation_1, /m,
    );
    expect((await owned('my-deployment')).map((a) => a.name)).toEqual([
      'my-deployment__automation_1',
      'my-deployment__automation_2',
      'my-deployment__automation_3',
    ]);
    await ok('npx tripwire events emit external.resource.pinged --resource my.external.resource');
    const completed = await waitForRun('my-deployment', 'the Completed run', (r) => r.state.name === 'Completed');
    const scheduled = await waitForRun('my-deployment', 'the Scheduled run', (r) => r.state.name === 'Scheduled');
    expect(completed.triggered_by?.automation_name).toBe('my-deployment__automation_1');
    expect(completed.parameters.param_1).toMatchObject({
      event: 'external.resource.pinged',
      resource: { 'prefect.resource.id': 'my.external.resource' },
    });
    expect(completed.result).toEqual({ got: 'external.resource.pinged' });
    expect(scheduled.triggered_by?.automation_name).toBe('my-deployment__automation_2');

    const listed = await ok('npx tripwire run ls --deployment my-deployment');
    expect(listed).toMatch(new RegExp(`^${completed.id}\\s+my-deployment-\\S+\\s+Completed\\s`, 'm'));
    expect(listed).toMatch(new RegExp(`^${scheduled.id}\\s+my-deployment-\\S+\\s+Scheduled\\s`, 'm'));

    await ok('RUN=$(npx tripwire run ls --deployment my-deployment --state Completed --limit 1 -q)');
    expect(shell.variable('RUN')).toBe(completed.id);
    const shown = await ok('npx tripwire run get $RUN');
    expect(shown).toMatch(/^State\s+Completed\s/m);
    expect(shown).toMatch(/^Automation\s+my-deployment__automation_1\s/m);
    expect(shown).toMatch(/^Trigger event\s+external\.resource\.pinged on my\.external\.resource at /m);
    expect(shown).toMatch(/^Parameters\s+\{\n\s+"param_1": \{/m);
    expect(shown).toMatch(/^Result\s+\{\n\s+"got": "external\.resource\.pinged"\n\s+\}$/m);
    expect(shown).toMatch(/^ {2}\S+ {2}Scheduled\n {2}\S+ {2}Pending\n {2}\S+ {2}Running\n {2}\S+ {2}Completed$/m);
    if (process.env.TRIPWIRE_README_SAMPLES) {
      fs.writeFileSync(path.join(process.env.TRIPWIRE_README_SAMPLES, 'run-ls.txt'), listed);
      fs.writeFileSync(path.join(process.env.TRIPWIRE_README_SAMPLES, 'run-get.txt'), shown);
    }
  });

  it('2. cancels the run that schedule_after holds for two hours', async () => {
    await ok('SCHEDULED=$(npx tripwire run ls --deployment my-deployment --state Scheduled --limit 1 -q)');
    const run = (await runs('my-deployment')).find((r) => r.id === shell.variable('SCHEDULED'))!;
    expect(run.state.name).toBe('Scheduled');
    const delay = Date.parse(run.expected_start_time) - Date.now();
    expect(delay).toBeGreaterThan(7200_000 - 5 * 60_000);
    expect(delay).toBeLessThanOrEqual(7200_000);
    expect(await ok('npx tripwire run cancel $SCHEDULED')).toBe(
      `Flow run ${shell.variable('SCHEDULED')} is Cancelled\n`,
    );
    expect((await (await tw.api('GET', `/api/flow-runs/${shell.variable('SCHEDULED')}`)).json()).state.name).toBe(
      'Cancelled',
    );
  });

  it('3. runs the compound require-all trigger once the second event arrives', async () => {
    const before = (await runs('my-deployment')).length;
    await ok('npx tripwire events emit external.resource.replied --resource my.external.resource');
    const compound = await waitForRun(
      'my-deployment',
      'the compound trigger run',
      (r) => r.triggered_by?.automation_name === 'my-deployment__automation_3',
    );
    expect(compound.state.name).toBe('Scheduled');
    expect(compound.triggered_by!.event!.event).toBe('external.resource.replied');
    expect(compound.triggered_by!.events.map((e) => e.event)).toEqual([
      'external.resource.pinged',
      'external.resource.replied',
    ]);
    expect((compound.parameters.param_1 as { event: string }).event).toBe('external.resource.replied');
    expect(await runs('my-deployment')).toHaveLength(before + 1);
    const listed = await ok('npx tripwire run ls --deployment my-deployment --state Scheduled');
    expect(listed).toContain(compound.id);
    expect(listed).not.toContain(shell.variable('SCHEDULED'));
  });

  it('4. replaces the triggers with --trigger, as JSON and from triggers.yaml, and restores them', async () => {
    await ok(
      'npx tripwire deploy --name my-deployment --trigger \'{"match": {"prefect.resource.id": "my.external.resource"}, "expect": ["external.resource.pinged"], "parameters": {"param_1": "from --trigger"}}\'',
    );
    expect((await owned('my-deployment')).map((a) => a.trigger.expect)).toEqual([['external.resource.pinged']]);
    await ok('npx tripwire deploy --name my-deployment --trigger triggers.yaml');
    const fromFile = await owned('my-deployment');
    expect(fromFile.map((a) => [a.name, a.trigger.expect])).toEqual([
      ['my-deployment__automation_1', ['external.resource.pinged']],
      ['my-deployment__automation_2', ['some.other.event']],
    ]);
    const listed = await ok('npx tripwire automation ls');
    expect(listed).toContain('my-deployment__automation_2');
    expect(listed).not.toContain('my-deployment__automation_3');

    await ok('npx tripwire events emit some.other.event --resource my.other.external.resource');
    const other = await waitForRun(
      'my-deployment',
      'the run of the file trigger',
      (r) => r.triggered_by?.event?.event === 'some.other.event',
    );
    expect(other.triggered_by!.automation_name).toBe('my-deployment__automation_2');
    const latest = await ok('npx tripwire run ls --deployment my-deployment --limit 1');
    expect(latest.trim().split('\n')).toHaveLength(3);
    expect(latest).toContain(other.id);
    await waitForRun(
      'my-deployment',
      'the file trigger run to complete',
      (r) => r.id === other.id && r.state.name === 'Completed',
    );

    await ok('npx tripwire deploy --name my-deployment');
    expect((await owned('my-deployment')).map((a) => a.name)).toEqual([
      'my-deployment__automation_1',
      'my-deployment__automation_2',
      'my-deployment__automation_3',
    ]);
  });

  it('5. serve() runs its own worker for its trigger, and deploy() registers a compound trigger for the pool', async () => {
    const served = await shell.start(
      'npx tsx serve.ts',
      /Serving my-served-deployment on work pool serve\/my-served-deployment \(Ctrl-C stops\)/,
    );
    await ok('npx tripwire events emit external.resource.pinged --resource my.served.resource');
    const run = await waitForRun('my-served-deployment', 'the served run', (r) => r.state.name === 'Completed');
    expect(run.result).toEqual({ got: 'external.resource.pinged' });
    expect(await ok('npx tripwire run ls --deployment my-served-deployment')).toMatch(
      new RegExp(`^${run.id}\\s+my-served-deployment-\\S+\\s+Completed\\s`, 'm'),
    );
    expect([0, 'SIGINT']).toContain(await shell.stop(served));

    expect(await ok('npx tsx deploy.ts')).toBe('Deployed my-ts-deployment: my-compound-trigger\n');
    await ok('npx tripwire events emit external.resource.pinged --resource my.ts.resource');
    await ok('npx tripwire events emit external.resource.replied --resource my.ts.resource');
    const compound = await waitForRun('my-ts-deployment', 'the deploy() run', (r) => r.state.name === 'Completed');
    expect(compound.triggered_by!.events.map((e) => e.event)).toEqual([
      'external.resource.pinged',
      'external.resource.replied',
    ]);
    expect(await ok('npx tripwire run ls --deployment my-ts-deployment')).toContain(compound.id);
  });

  it('6. runs the deployment from a REST automation of the Terraform shape', async () => {
    const deployment = await (await tw.api('GET', '/api/deployments/my-deployment')).json();
    await ok(
      'DEPLOYMENT_ID=$(curl -s http://127.0.0.1:4200/api/deployments/my-deployment -H "Authorization: Bearer $TRIPWIRE_API_KEY" | node -p \'JSON.parse(require("fs").readFileSync(0, "utf8")).id\')',
    );
    expect(shell.variable('DEPLOYMENT_ID')).toBe(deployment.id);
    const create = shellCommands(readmeSection('Deployment triggers')).find((c) =>
      c.startsWith('curl -s -XPOST http://127.0.0.1:4200/api/automations'),
    );
    expect(create).toBeDefined();
    const created = JSON.parse(await ok(create!));
    expect(created).toMatchObject({
      name: 'my-automation',
      owner_resource: null,
      trigger: { type: 'event', posture: 'Reactive', expect: ['external.resource.pinged'], threshold: 1, within: 0 },
      actions: [{ type: 'run-deployment', source: 'selected', deployment_id: deployment.id }],
    });
    await ok('npx tripwire events emit external.resource.pinged --resource some.other.resource');
    const run = await waitForRun(
      'my-deployment',
      'the REST automation run',
      (r) => r.created_by?.display_value === 'my-automation' && r.state.name === 'Completed',
    );
    expect((run.parameters.param_1 as { resource: Record<string, string> }).resource['prefect.resource.id']).toBe(
      'some.other.resource',
    );
    expect(await ok('npx tripwire run ls --deployment my-deployment --limit 1')).toContain(run.id);
  });

  it('7. chains my-downstream on the Completed of a my-deployment run', async () => {
    await ok('npx tripwire deploy --name my-downstream');
    await ok('npx tripwire deployment run my-deployment --param param_1=hello');
    const upstream = await waitForRun(
      'my-deployment',
      'the upstream run',
      (r) => r.parameters.param_1 === 'hello' && r.state.name === 'Completed',
    );
    const downstream = await waitForRun('my-downstream', 'the downstream run', (r) => r.state.name === 'Completed');
    expect(downstream.parameters).toEqual({
      upstream_run: `prefect.flow-run.${upstream.id}`,
      upstream_parameters: { param_1: 'hello' },
    });
    expect(downstream.result).toEqual({
      after: `prefect.flow-run.${upstream.id}`,
      upstream_parameters: { param_1: 'hello' },
    });
    expect(await ok('npx tripwire run ls --deployment my-downstream')).toContain(downstream.id);
  });

  it('ran every command of the walk-through', () => {
    expect(shell.unexecuted()).toEqual([]);
  });
});
