// The `tripwire` CLI as a user runs it (the compiled bin, as a child process) against a running tripwire: webhook
// management, events, `tripwire deploy` from the seed's prefect.yaml with --trigger overriding the file, and flow runs
// (list by deployment and state, the detail view, following a run to its end).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FLOW_FILE, makeProject, SEED_PREFECT_YAML } from '../services/deployments/fixtures/seed';
import { tcpProxy } from '../helpers/tcp-proxy';
import type { PoolWorker } from '../../worker/pool-worker';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tripwire.js');
const FLOWS = path.resolve(__dirname, '..', 'fixtures', 'flows', 'test-flows.ts');
const run = promisify(execFile);

describe('tripwire CLI', () => {
  let tw: TestTripwire;
  let project: string;

  beforeAll(async () => {
    if (!fs.existsSync(path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/ is missing: run "npm run build" (npm test does)');
    }
    tw = await startTestTripwire({ worker: false });
    project = makeProject({ 'prefect.yaml': SEED_PREFECT_YAML, 'flows/my_flow.ts': FLOW_FILE });
  });
  afterAll(async () => {
    await tw.stop();
    fs.rmSync(project, { recursive: true, force: true });
  });

  const cli = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        cwd: project,
        env: { ...process.env, TRIPWIRE_API_URL: tw.url, TRIPWIRE_API_KEY: tw.apiKey },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  // The CLI with `input` piped to its stdin, as a script answers a question.
  const answering = (args: string[], input: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { cwd: project, env: { ...process.env, TRIPWIRE_API_URL: tw.url, TRIPWIRE_API_KEY: tw.apiKey } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });
  const json = async (args: string[]) => {
    const result = await cli([...args, '-o', 'json']);
    expect(result).toMatchObject({ code: 0 });
    return JSON.parse(result.stdout);
  };

  it('runs however the command is reached: through a symlink (npm link, an installed bin) and as `npx tripwire`', async () => {
    const root = path.resolve(__dirname, '..', '..');
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const link = path.join(project, 'tripwire');
    fs.symlinkSync(BIN, link);
    try {
      // It once ran only when the script's own path ended in bin/tripwire.js, so both of these printed nothing.
      expect((await run(link, ['--version'], { cwd: project })).stdout.trim()).toBe(version);
      const npx = await run('npx', ['--no-install', 'tripwire', '--version'], { cwd: root });
      expect(npx.stdout.trim()).toBe(version);
    } finally {
      fs.rmSync(link);
    }
  });

  it('previews a template against a sample request without storing anything', async () => {
    const template =
      '{"event": "model.{{ body.action }}", "resource": {"prefect.resource.id": "m.{{ headers.x-id }}"}}';
    const good = await cli([
      'webhook',
      'preview',
      '-t',
      '{"event": "model.{{ body.action }}", "resource": {"prefect.resource.id": "m.{{ headers[\'x-id\'] }}"}}',
      '-H',
      'X-Id: 7',
      '-H',
      'content-type: application/json',
      '-b',
      '{"action": "refreshed"}',
    ]);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject([
      { event: 'model.refreshed', resource: { 'prefect.resource.id': 'm.7' } },
    ]);
    // headers.x-id is `headers.x - id` in a template: it renders, but not JSON an event can come from.
    const bad = await cli(['webhook', 'preview', '-t', template, '-b', '{"action": "refreshed"}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^(render|json|validate): /);
    expect((await json(['webhook', 'ls'])).filter((w: { name: string }) => w.name === 'preview')).toEqual([]);
  });

  it('creates, lists, toggles, rotates and deletes a webhook', async () => {
    const template =
      '{"event": "model.refreshed", "resource": {"prefect.resource.id": "product.models.{{ body.model }}"}}';
    const created = await json(['webhook', 'create', 'models', '-t', template, '-d', 'from the CLI']);
    expect(created).toMatchObject({ name: 'models', description: 'from the CLI', enabled: true, template });
    expect((await json(['webhook', 'ls'])).map((w: { id: string }) => w.id)).toContain(created.id);
    expect((await cli(['webhook', 'toggle', created.id])).stdout).toContain('Webhook is now disabled');
    expect(await json(['webhook', 'get', created.id])).toMatchObject({ enabled: false });
    // Without --yes and without a terminal to ask on, nothing is rotated.
    expect((await cli(['webhook', 'rotate', created.id])).code).toBe(1);
    expect((await json(['webhook', 'get', created.id])).slug).toBe(created.slug);
    // A piped answer is taken: "n" keeps the URL, "y" rotates it.
    const refused = await answering(['webhook', 'rotate', created.id], 'n\n');
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('Rotate? [y/N]') });
    expect((await json(['webhook', 'get', created.id])).slug).toBe(created.slug);
    const answered = await answering(['webhook', 'rotate', created.id, '-o', 'json'], 'y\n');
    expect(answered.code).toBe(0);
    const afterAnswer = JSON.parse(answered.stdout) as { slug: string; url: string };
    expect(afterAnswer.slug).not.toBe(created.slug);
    expect(afterAnswer.url).toContain(`/hooks/${afterAnswer.slug}`);
    const rotated = await cli(['webhook', 'rotate', created.id, '--yes']);
    const slug = (await json(['webhook', 'get', created.id])).slug;
    expect(slug).not.toBe(afterAnswer.slug);
    expect(rotated.stdout).toContain(`/hooks/${slug}`);
    expect(await json(['webhook', 'toggle', created.id])).toMatchObject({ id: created.id, enabled: true });
    const table = await cli(['webhook', 'ls']);
    expect(table.stdout).toContain('models');
    expect(await json(['webhook', 'delete', created.id])).toEqual({ id: created.id, deleted: true });
    expect((await cli(['webhook', 'get', created.id])).code).toBe(1);
  });

  it('lists, shows, pauses, resumes and deletes an automation', async () => {
    const response = await tw.api('POST', '/api/automations', {
      name: 'from-the-cli',
      trigger: { type: 'event', posture: 'Reactive', expect: ['cli.ping'], threshold: 1, within: 0 },
      actions: [{ type: 'do-nothing' }],
    });
    const { id } = (await response.json()) as { id: string };
    expect((await json(['automation', 'ls'])).map((a: { id: string }) => a.id)).toContain(id);
    expect((await cli(['automation', 'ls'])).stdout).toMatch(/from-the-cli\s+true\s+event\s+do-nothing/);
    expect(await json(['automation', 'get', id])).toMatchObject({ id, name: 'from-the-cli', enabled: true });
    expect(await json(['automation', 'pause', id])).toMatchObject({ id, enabled: false });
    expect((await cli(['automation', 'resume', id])).stdout).toBe(`Automation ${id} resumed\n`);
    expect(await json(['automation', 'get', id])).toMatchObject({ enabled: true });
    expect(await json(['automation', 'delete', id])).toEqual({ id, deleted: true });
    expect((await cli(['automation', 'get', id])).code).toBe(1);
  });

  it('refuses a template with a syntax error, saying where', async () => {
    const result = await cli(['webhook', 'create', 'broken', '-t', '{"event": {{ body.a }']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line 1, column \d+/);
  });

  it('emits an event and lists it', async () => {
    expect(
      (await cli(['events', 'emit', 'cli.said.hello', '--resource', 'cli.resource', '--payload', '{"n": 1}'])).code,
    ).toBe(0);
    const listed = await json(['events', 'ls', '--event', 'cli.said.hello']);
    expect(listed[0]).toMatchObject({
      event: 'cli.said.hello',
      resource: { 'prefect.resource.id': 'cli.resource' },
      payload: { n: 1 },
    });
  });

  it('tails events, and after the connection drops reconnects and misses none', async () => {
    // The CLI reaches tripwire through a proxy the test can cut, as a restart or a network blip would.
    const proxy = await tcpProxy(tw.url);
    const tag = `tail-${Date.now()}`;
    const child = spawn(process.execPath, [BIN, 'events', 'tail', '--resource', `${tag}.*`], {
      cwd: project,
      env: {
        ...process.env,
        TRIPWIRE_API_URL: `http://${proxy.address}`,
        TRIPWIRE_API_KEY: tw.apiKey,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const emit = (n: number) =>
      tw.api('POST', '/api/events', { event: 'cli.tailed', resource: { 'prefect.resource.id': `${tag}.${n}` } });
    const printed = (n: number) =>
      eventually(async () => (stdout.includes(`${tag}.${n} `) ? true : undefined), 10_000, `event ${n}`);
    try {
      await eventually(async () => (proxy.connections > 0 ? true : undefined), 10_000, 'the tail to connect');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await emit(1);
      await printed(1);
      proxy.cut();
      await emit(2); // stored while the tail is away
      await printed(2);
      expect(stderr).toMatch(/reconnecting/);
      await emit(3);
      await printed(3);
      expect(stdout.match(new RegExp(`${tag}\\.\\d`, 'g'))).toEqual([`${tag}.1`, `${tag}.2`, `${tag}.3`]);
    } finally {
      child.kill('SIGINT');
      const code = await exited;
      proxy.close();
      expect(code).toBe(0);
    }
  });

  it('deploys the seed prefect.yaml with its triggers, and --trigger replaces them', async () => {
    const [deployed] = await json(['deploy']);
    expect(deployed.name).toBe('my-deployment');
    expect(deployed.entrypoint).toBe(`${path.join(fs.realpathSync(project), 'flows', 'my_flow.ts')}:myFlow`);
    expect(deployed.automations.map((a: { name: string }) => a.name)).toEqual([
      'my-deployment__automation_1',
      'my-deployment__automation_2',
      'my-deployment__automation_3',
    ]);

    const trigger = JSON.stringify({ match: { 'prefect.resource.id': 'other' }, expect: ['other.happened'] });
    const [replaced] = await json(['deploy', '-n', 'my-deployment', '--trigger', trigger]);
    expect(replaced.automations).toHaveLength(1);
    const owned = await (await tw.api('GET', '/api/automations')).json();
    const mine = owned.filter(
      (a: { owner_resource: string }) => a.owner_resource === `prefect.deployment.${deployed.id}`,
    );
    expect(mine.map((a: { trigger: { expect: string[] } }) => a.trigger.expect)).toEqual([['other.happened']]);

    const bad = await cli(['deploy', '-n', 'my-deployment', '--trigger', '{"expect": ']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Failed to parse trigger/);
    const after = await (await tw.api('GET', '/api/automations')).json();
    expect(
      after.filter((a: { owner_resource: string }) => a.owner_resource === `prefect.deployment.${deployed.id}`),
    ).toHaveLength(1);
  });
});

describe('tripwire run', () => {
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;

  beforeAll(async () => {
    tw = await startTestTripwire({ env: { TEMPORAL_UI_URL: 'http://127.0.0.1:8233' } });
    ({ pool, name: poolName } = await startTestPool(tw));
    for (const flow of ['echoFlow', 'failingFlow', 'slowFlow']) {
      const response = await tw.api('POST', '/api/deployments', {
        name: `cli-${flow}`,
        entrypoint: `${FLOWS}:${flow}`,
        work_pool: { name: poolName },
        parameters: { a: 1 },
        triggers:
          flow === 'echoFlow'
            ? [
                {
                  match: { 'prefect.resource.id': 'cli.watched' },
                  expect: ['cli.poked'],
                  parameters: { via: 'trigger' },
                },
              ]
            : [],
      });
      expect(response.status).toBe(201);
    }
  });
  afterAll(async () => {
    await pool.stop();
    await tw.stop();
  });

  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, TRIPWIRE_API_URL: tw.url, TRIPWIRE_API_KEY: tw.apiKey } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  const start = async (deployment: string, body: Record<string, unknown> = {}) =>
    (await (await tw.api('POST', `/api/deployments/${deployment}/runs`, body)).json()) as { id: string };
  const ended = (id: string) =>
    eventually(
      async () => {
        const one = await (await tw.api('GET', `/api/flow-runs/${id}`)).json();
        return ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'].includes(one.state.type) ? one : undefined;
      },
      30_000,
      `run ${id} to end`,
    );

  it('shows a triggered run readably: state history, parameters, result, trigger and Temporal UI link', async () => {
    expect(
      (await tw.api('POST', '/api/events', { event: 'cli.poked', resource: { 'prefect.resource.id': 'cli.watched' } }))
        .status,
    ).toBe(204);
    const triggered = await eventually(
      async () => (await (await tw.api('GET', '/api/flow-runs?deployment=cli-echoFlow')).json())[0],
      30_000,
      'the triggered run',
    );
    const done = await ended(triggered.id);

    const shown = await cli(['run', 'get', done.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^Flow run\\s+${done.name}\\s+${done.id}$`, 'm'));
    expect(shown.stdout).toMatch(/^State\s+Completed\s+since /m);
    expect(shown.stdout).toMatch(/^Automation\s+cli-echoFlow__automation_1\s/m);
    expect(shown.stdout).toMatch(/^Trigger event\s+cli\.poked on cli\.watched at /m);
    expect(shown.stdout).toContain(
      `Temporal UI   http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(done.temporal.workflow_id)}`,
    );
    expect(shown.stdout).toMatch(/^Parameters\s+\{\n\s+"a": 1,\n\s+"via": "trigger"\n\s+\}$/m);
    expect(shown.stdout).toMatch(/^Result\s+\{\n\s+"received": \{/m);
    const history = shown.stdout.slice(shown.stdout.indexOf('State history'));
    expect(history.match(/^ {2}\S+ {2}(\w+)/gm)?.map((line) => line.trim().split(/\s+/)[1])).toEqual([
      'Scheduled',
      'Pending',
      'Running',
      'Completed',
    ]);
    for (const state of done.state_history) expect(history).toContain(`${state.timestamp}  ${state.name}`);

    const json = await cli(['run', 'get', done.id, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(done);
  });

  it('lists runs by deployment and state', async () => {
    const ok = await start('cli-echoFlow');
    const failed = await start('cli-failingFlow');
    await Promise.all([ended(ok.id), ended(failed.id)]);
    const ids = async (args: string[]) => {
      const result = await cli(['run', 'ls', ...args, '-o', 'json']);
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as { id: string }[]).map((r) => r.id);
    };
    expect(await ids(['--deployment', 'cli-failingFlow'])).toEqual([failed.id]);
    expect(await ids(['--deployment', 'cli-failingFlow', '--state', 'completed'])).toEqual([]);
    expect(await ids(['--deployment', 'cli-echoFlow', '--state', 'Completed'])).toContain(ok.id);
    expect(await ids(['--deployment', 'cli-failingFlow', '--state', 'Failed', '--state', 'Crashed'])).toEqual([
      failed.id,
    ]);
    const table = await cli(['run', 'ls', '--deployment', 'cli-failingFlow']);
    expect(table.stdout).toMatch(new RegExp(`^${failed.id}\\s+cli-failingFlow-\\S+\\s+Failed\\s`, 'm'));
    expect((await cli(['run', 'ls', '--deployment', 'nope'])).code).toBe(1);
    // For scripts: only the ids, newest first, as many as asked for.
    const second = await start('cli-failingFlow');
    expect((await cli(['run', 'ls', '--deployment', 'cli-failingFlow', '-q'])).stdout).toBe(
      `${second.id}\n${failed.id}\n`,
    );
    expect((await cli(['run', 'ls', '--deployment', 'cli-failingFlow', '--limit', '1', '-q'])).stdout).toBe(
      `${second.id}\n`,
    );
    expect((await cli(['run', 'ls', '--limit', '0'])).stderr).toMatch(/limit must be a whole number from 1 to 1000/);
  });

  it('cancels several runs at once', async () => {
    const later = [
      await start('cli-slowFlow', { schedule_after: 'PT2H' }),
      await start('cli-slowFlow', { schedule_after: 'PT2H' }),
    ];
    const cancelled = await cli(['run', 'cancel', ...later.map((r) => r.id)]);
    expect(cancelled).toMatchObject({ code: 0 });
    expect(cancelled.stdout).toBe(later.map((r) => `Flow run ${r.id} is Cancelled\n`).join(''));
  });

  it('watches a run from Scheduled to Completed, one line per state, and exits 0', async () => {
    const scheduled = await start('cli-echoFlow', { schedule_after: 2 });
    const watched = await cli(['run', 'watch', scheduled.id]);
    expect(watched).toMatchObject({ code: 0, stderr: '' });
    const lines = watched.stdout.trim().split('\n');
    expect(lines.slice(0, 4).map((line) => line.split(/\s+/)[1])).toEqual([
      'Scheduled',
      'Pending',
      'Running',
      'Completed',
    ]);
    expect(lines.at(-1)).toBe('Result: {"received":{"a":1}}');
    const done = await ended(scheduled.id);
    expect(lines.slice(0, 4)).toEqual(
      done.state_history.map((s: { timestamp: string; name: string }) => `${s.timestamp}  ${s.name}`),
    );
  });

  it('exits 1 when the watched run fails, saying why, and when it is cancelled', async () => {
    const failing = await start('cli-failingFlow');
    const watched = await cli(['run', 'watch', failing.id, '-o', 'json']);
    expect(watched.code).toBe(1);
    expect(watched.stderr).toMatch(new RegExp(`flow run ${failing.id} ended Failed: .*the flow failed on purpose`));
    const states = watched.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string; id: string });
    expect(states.map((s) => s.name)).toEqual(['Scheduled', 'Pending', 'Running', 'Failed']);

    const slow = await start('cli-slowFlow', { parameters: { seconds: 300 } });
    const following = cli(['run', 'get', slow.id, '--follow', '-o', 'json']);
    await eventually(
      async () =>
        (await (await tw.api('GET', `/api/flow-runs/${slow.id}`)).json()).state.name === 'Running' ? true : undefined,
      30_000,
      'the slow run to run',
    );
    expect((await tw.api('POST', `/api/flow-runs/${slow.id}/cancel`)).status).toBe(200);
    const result = await following;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`flow run ${slow.id} ended Cancelled`);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: slow.id, state: { name: 'Cancelled' } });
  });
});
