// The README's "Writing a flow", followed as written against a real tripwire and the example project's worker: a
// workflow flow whose activities fetch over HTTP and write a file, and a plain-function flow whose `retries` try it
// again; plus the same activities reached from a webhook through a trigger. These need deployments' `activities` and
// `entrypoint_type` fields: until the deployment schema accepts them, the tests are skipped (not failed).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deploymentSchema } from '../../core/deployments/schema';
import { createTestNamespace } from '../helpers/temporal-namespace';
import { eventually, startTestTripwire, type TestTripwire } from '../helpers/tripwire';
import { EXAMPLES, readmeSection, ROOT, shellCommands } from './readme';
import { ReadmeShell } from './shell';

/** Whether deployments take `activities` and `entrypoint_type: function` (rather than dropping them as unknown). */
function flowKindsSupported(): boolean {
  const probe = deploymentSchema.safeParse({
    name: 'probe',
    entrypoint: 'probe.ts:probe',
    entrypoint_type: 'function',
  });
  const withActivities = deploymentSchema.safeParse({
    name: 'probe',
    entrypoint: 'probe.ts:probe',
    activities: 'activities.ts',
  });
  return (
    probe.success &&
    (probe.data as Record<string, unknown>).entrypoint_type === 'function' &&
    withActivities.success &&
    (withActivities.data as Record<string, unknown>).activities === 'activities.ts'
  );
}

const RUN_WAIT_MS = 90_000;
const REPORTS = path.join(EXAMPLES, 'reports');

interface Run {
  id: string;
  state: { type: string; name: string };
  state_history: { name: string; timestamp: string }[];
  parameters: Record<string, unknown>;
  result?: unknown;
  error?: string;
}

jest.setTimeout(240_000);

(flowKindsSupported() ? describe : describe.skip)('README: Writing a flow, followed as written', () => {
  let tw: TestTripwire;
  let namespace: string;
  let server: http.Server;
  let serverUrl: string;
  let tmp: string;
  const hits: string[] = [];
  const target = () => ({ url: tw.url, apiKey: tw.apiKey, namespace });
  const shell = new ReadmeShell(shellCommands(readmeSection('Writing a flow')), target);
  const worker = new ReadmeShell(shellCommands(readmeSection('Deployment triggers')), target);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-flows-'));
    // A site for the flows to fetch: /page answers, /flaky fails twice before it does.
    let flaky = 0;
    server = http.createServer((req, res) => {
      hits.push(req.url!);
      if (req.url === '/page') return void res.end('hello from the test server');
      if (req.url === '/flaky') {
        flaky += 1;
        res.statusCode = flaky <= 2 ? 503 : 200;
        return void res.end(flaky <= 2 ? 'not yet' : 'ok');
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    namespace = await createTestNamespace();
    tw = await startTestTripwire({ env: { TEMPORAL_NAMESPACE: namespace } });
    await worker.start('npx tripwire worker --pool my-process-work-pool', /Worker polling work pool/);
  });
  afterAll(async () => {
    await worker.stopAll();
    await tw?.stop();
    await new Promise((resolve) => server?.close(resolve));
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(REPORTS, { recursive: true, force: true });
  });

  const getRun = async (id: string): Promise<Run> => (await tw.api('GET', `/api/flow-runs/${id}`)).json();
  const latestRun = async (deployment: string): Promise<Run> =>
    eventually(
      async () => ((await (await tw.api('GET', `/api/flow-runs?deployment=${deployment}&limit=1`)).json()) as Run[])[0],
      RUN_WAIT_MS,
      `a run of ${deployment}`,
    );
  const ended = (id: string) =>
    eventually(
      async () => {
        const run = await getRun(id);
        return ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'].includes(run.state.type) ? run : undefined;
      },
      RUN_WAIT_MS,
      `run ${id} to end`,
    );

  it('runs site-report: its activities fetch the page and write the report, and run watch shows the result', async () => {
    await shell.ok('npx tripwire deploy --name site-report --name fetch-status');
    await shell.ok('npx tripwire deployment run site-report --param url=http://127.0.0.1:4200/healthz');
    const watched = await shell.sh(
      'npx tripwire run watch $(npx tripwire run ls --deployment site-report --limit 1 -q)',
    );
    expect(watched).toMatchObject({ code: 0 });
    const lines = watched.stdout.trim().split('\n');
    expect(lines.slice(0, -1).map((line) => line.split(/\s+/)[1])).toEqual(
      expect.arrayContaining(['Scheduled', 'Pending', 'Running', 'Completed']),
    );
    const report = path.join(REPORTS, 'healthz.json');
    const run = await latestRun('site-report');
    expect(run.result).toEqual({ status: 200, bytes: expect.any(Number), file: report });
    expect(lines.at(-1)).toBe(`Result: ${JSON.stringify(run.result)}`);
    expect(JSON.parse(fs.readFileSync(report, 'utf8'))).toMatchObject({ url: `${tw.url}/healthz`, status: 200 });
  });

  it('fails fetch-status on a 404 after its two retries, 5 s apart, and run watch exits 1', async () => {
    await shell.ok('npx tripwire deployment run fetch-status --param url=http://127.0.0.1:4200/hooks/nope');
    const watched = await shell.sh(
      'npx tripwire run watch $(npx tripwire run ls --deployment fetch-status --limit 1 -q)',
    );
    expect(watched.code).toBe(1);
    expect(watched.stderr).toMatch(/ended Failed: .*answered 404/);
    const run = await latestRun('fetch-status');
    const names = run.state_history.map((s) => s.name);
    expect(names.filter((name) => name === 'AwaitingRetry')).toHaveLength(2);
    expect(names.at(-1)).toBe('Failed');
    // retry_delay_seconds: 5 between a failed try and the next.
    const waited = names.indexOf('AwaitingRetry');
    const [retried, next] = [run.state_history[waited]!, run.state_history[waited + 1]!];
    expect(Date.parse(next.timestamp) - Date.parse(retried.timestamp)).toBeGreaterThanOrEqual(4900);
  });

  it('ran every command of the section', () => {
    expect(shell.unexecuted()).toEqual([]);
  });

  it('completes a plain-function flow that fails twice, in one run whose history shows the retries', async () => {
    const started = await (
      await tw.api('POST', '/api/deployments/fetch-status/runs', { parameters: { url: `${serverUrl}/flaky` } })
    ).json();
    const run = await ended(started.id);
    expect(run.state.name).toBe('Completed');
    expect(run.result).toEqual({ url: `${serverUrl}/flaky`, status: 200 });
    expect(run.state_history.map((s) => s.name).filter((name) => name === 'AwaitingRetry')).toHaveLength(2);
    expect(hits.filter((hit) => hit === '/flaky')).toHaveLength(3);
  });

  it('runs the activities from a webhook through a trigger, and run get shows the result', async () => {
    const out = path.join(tmp, 'hooked.json');
    const deployed = await tw.api('POST', '/api/deployments', {
      name: 'site-report-hooked',
      entrypoint: `${path.join(EXAMPLES, 'flows', 'site_report.ts')}:siteReport`,
      activities: path.join(EXAMPLES, 'flows', 'site_report_activities.ts'),
      work_pool: { name: 'my-process-work-pool' },
      triggers: [
        {
          match: { 'prefect.resource.id': 'site.*' },
          expect: ['site.changed'],
          parameters: { url: '{{ event.payload.url }}', out_file: out },
        },
      ],
    });
    expect(deployed.status).toBe(201);
    const webhook = await (
      await tw.api('POST', '/api/webhooks', {
        name: 'sites',
        template:
          '{"event": "site.changed", "resource": {"prefect.resource.id": "site.{{ body.name }}"}, "payload": {"url": "{{ body.url }}"}}',
      })
    ).json();
    const sent = await fetch(webhook.url.replace(/^https?:\/\/[^/]+/, tw.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'docs', url: `${serverUrl}/page` }),
    });
    expect(sent.status).toBe(204);
    const run = await ended((await latestRun('site-report-hooked')).id);
    expect(run.result).toEqual({ status: 200, bytes: 'hello from the test server'.length, file: out });
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ url: `${serverUrl}/page`, status: 200 });

    const shown = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, 'bin', 'tripwire.js'), 'run', 'get', run.id],
      {
        env: { ...process.env, TRIPWIRE_API_URL: tw.url, TRIPWIRE_API_KEY: tw.apiKey },
      },
    );
    expect(shown.stdout).toMatch(/^Trigger event\s+site\.changed on site\.docs at /m);
    expect(shown.stdout).toMatch(new RegExp(`^Result\\s+\\{\\n\\s+"status": 200,`, 'm'));
    expect(shown.stdout).toContain(`"file": "${out}"`);
  });
});
