// `npm start` after crashes, with real processes: kill -9 of the node process, of its whole process group, of the
// embedded dev server alone, and of node and the dev server's supervisor together (which leaves the server running).
// Each time the plain start command comes back on the same data folder with no cleaning up by hand, and the
// webhook, the automation's open window, the stored events and the scheduled run are all still there. Also: a Ctrl-C
// (SIGINT to the process group) while an action runs stops the worker before the server, without the log filling
// with "tcp connect error".
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { alive, goneWithin, ownerRecord, startEnv, startProcess, type StartedProcess } from '../helpers/start-process';
import { eventually, readJson } from '../helpers/tripwire';

const FLOWS = path.resolve(__dirname, '..', 'fixtures', 'flows', 'test-flows.ts');

function apiOf(env: Record<string, string>) {
  const url = `http://127.0.0.1:${env.PORT}`;
  return {
    url,
    call: (method: string, route: string, body?: unknown) =>
      fetch(`${url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${env.TRIPWIRE_API_KEY}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}

describe('npm start after a crash', () => {
  const running: StartedProcess[] = [];
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && alive(p.pid)) process.kill(-p.pid, 'SIGKILL');
  });
  const start = (env: Record<string, string>) => {
    const started = startProcess(env);
    running.push(started);
    return started;
  };

  it('comes back with everything intact after kill -9 of node, of its group, of the server, and of node and supervisor', async () => {
    const dataDir = path.join(process.env.TRIPWIRE_TEST_TMP!, `crash-${crypto.randomBytes(3).toString('hex')}`);
    const env = await startEnv(dataDir);
    const api = apiOf(env);
    const figures: Record<string, number> = {};
    const resource = 'crash.thing';

    const first = start(env);
    figures['first start ms'] = await first.ready();

    // A webhook, an automation whose compound window the webhook's event half fills, and a run waiting 40 s.
    const webhook = await readJson(
      await api.call('POST', '/api/webhooks', {
        name: 'crash',
        template: `{"event": "a.happened", "resource": {"prefect.resource.id": "${resource}"}}`,
      }),
    );
    const automation = await readJson(
      await api.call('POST', '/api/automations', {
        name: 'crash-compound',
        actions: [{ type: 'do-nothing' }],
        trigger: {
          type: 'compound',
          require: 'all',
          within: 3600,
          triggers: [
            { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': resource }, expect: ['a.happened'] },
            { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': resource }, expect: ['b.happened'] },
          ],
        },
      }),
    );
    expect(automation.id).toBeDefined();
    expect((await fetch(`${api.url}/hooks/${webhook.slug}`, { method: 'POST' })).status).toBe(204);
    const windowOpen = async () => {
      const state = await readJson(await api.call('GET', `/api/automations/${automation.id}/state`));
      return state.state?.composite_triggers?.[0]?.firings?.length === 1 ? true : undefined;
    };
    await eventually(windowOpen, 30_000, 'the first child firing');
    expect(
      (
        await api.call('POST', '/api/deployments', {
          name: 'crash-run',
          entrypoint: `${FLOWS}:echoFlow`,
          work_pool: { name: 'default' },
        })
      ).status,
    ).toBeLessThan(300);
    const run = await readJson(await api.call('POST', '/api/deployments/crash-run/runs', { schedule_after: 'PT40S' }));
    expect(run.state.name).toBe('Scheduled');

    /** What must survive every crash. */
    const expectIntact = async () => {
      expect((await api.call('GET', `/api/webhooks/${webhook.id}`)).status).toBe(200);
      const stored = await readJson(await api.call('GET', `/api/events?resource=${resource}`));
      expect(stored.events.map((e: { event: string }) => e.event)).toEqual(['a.happened']);
      await eventually(windowOpen, 30_000, 'the open window after the restart');
      const current = await readJson(await api.call('GET', `/api/flow-runs/${run.id}`));
      expect(['Scheduled', 'Pending', 'Running', 'Completed']).toContain(current.state.name);
      const health = await readJson(await fetch(`${api.url}/healthz`));
      expect(health).toMatchObject({ status: 'ok', temporal: { reachable: true } });
    };

    // 1. kill -9 of the node process alone: the supervisor stops the server once tripwire is gone.
    let owner = ownerRecord(dataDir);
    first.child.kill('SIGKILL');
    figures['server gone after kill -9 of node, ms'] = await goneWithin(owner.server_pid, 20_000);
    const second = start(env);
    figures['start after kill -9 of node, ms'] = await second.ready();
    await expectIntact();

    // 2. kill -9 of the whole process group (the supervisor is in a group of its own and stops the server).
    owner = ownerRecord(dataDir);
    process.kill(-second.pid, 'SIGKILL');
    figures['server gone after kill -9 of the group, ms'] = await goneWithin(owner.server_pid, 20_000);
    const third = start(env);
    figures['start after kill -9 of the group, ms'] = await third.ready();
    await expectIntact();

    // 3. kill -9 of the dev server alone: tripwire restarts it on its database file and carries on.
    owner = ownerRecord(dataDir);
    process.kill(owner.server_pid, 'SIGKILL');
    const killedAt = Date.now();
    await eventually(
      async () => (ownerRecord(dataDir).server_pid !== owner.server_pid ? true : undefined),
      60_000,
      'a new server',
    );
    await eventually(
      async () => ((await readJson(await fetch(`${api.url}/healthz`))).temporal.reachable ? true : undefined),
      60_000,
      'Temporal to answer again',
    );
    figures['Temporal back after kill -9 of the server, ms'] = Date.now() - killedAt;
    expect(third.output()).toContain('the embedded Temporal dev server is back');
    await expectIntact();

    // 4. kill -9 of node and the supervisor together: the server is left running, and the next start stops it.
    owner = ownerRecord(dataDir);
    process.kill(-third.pid, 'SIGKILL');
    process.kill(owner.supervisor_pid, 'SIGKILL');
    await goneWithin(third.pid, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(alive(owner.server_pid)).toBe(true);
    const fourth = start(env);
    figures['start with a leftover server, ms'] = await fourth.ready();
    expect(fourth.output()).toContain('stopping a Temporal dev server left running on this data folder');
    expect(alive(owner.server_pid)).toBe(false);
    await expectIntact();

    // The window fires once on its second event, and the run scheduled before the crashes runs once.
    expect(
      (await api.call('POST', '/api/events', { event: 'b.happened', resource: { 'prefect.resource.id': resource } }))
        .status,
    ).toBe(204);
    const firings = async () =>
      (
        await readJson(await api.call('GET', `/api/events?resource=prefect.automation.${automation.id}&limit=100`))
      ).events.filter((e: { event: string }) => e.event === 'prefect.automation.triggered').length;
    await eventually(async () => ((await firings()) >= 1 ? true : undefined), 60_000, 'the compound firing');
    await eventually(
      async () => {
        const current = await readJson(await api.call('GET', `/api/flow-runs/${run.id}`));
        return current.state.name === 'Completed' ? true : undefined;
      },
      120_000,
      'the scheduled run to complete',
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await firings()).toBe(1);
    const runs = await readJson(await api.call('GET', '/api/flow-runs?deployment=crash-run'));
    expect(runs).toHaveLength(1);

    owner = ownerRecord(dataDir);
    process.kill(-fourth.pid, 'SIGINT');
    expect(await fourth.exited).toBe(0);
    expect(alive(owner.server_pid)).toBe(false);
    process.stdout.write(`npm start crash figures: ${JSON.stringify(figures)}\n`);
  }, 600_000);

  it('stops the worker before the server on Ctrl-C while an action runs, without tcp connect errors', async () => {
    const dataDir = path.join(process.env.TRIPWIRE_TEST_TMP!, `stop-${crypto.randomBytes(3).toString('hex')}`);
    const env = await startEnv(dataDir);
    const api = apiOf(env);
    let calls = 0;
    let called!: () => void;
    const firstCall = new Promise<void>((resolve) => (called = resolve));
    const sink = http.createServer((req, res) => {
      calls++;
      called();
      req.resume();
      setTimeout(() => res.writeHead(200).end('slow but fine'), 3000);
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;
    try {
      const tripwire = start(env);
      await tripwire.ready();
      const automation = await readJson(
        await api.call('POST', '/api/automations', {
          name: 'slow-hook',
          trigger: { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': 'stop.thing' } },
          actions: [{ type: 'call-webhook', url: `${sinkUrl}/slow`, payload: '{}' }],
        }),
      );
      expect(
        (await api.call('POST', '/api/events', { event: 'go', resource: { 'prefect.resource.id': 'stop.thing' } }))
          .status,
      ).toBe(204);
      await firstCall;
      const owner = ownerRecord(dataDir);
      process.kill(-tripwire.pid, 'SIGINT'); // what a terminal sends on Ctrl-C
      expect(await tripwire.exited).toBe(0);
      expect(alive(owner.server_pid)).toBe(false);
      const log = tripwire.output();
      expect(log).toContain('tripwire stopped');
      expect(log).not.toContain('tcp connect error');
      // The action finished before the stop and recorded its outcome, once.
      const db = new Database(path.join(dataDir, 'tripwire.sqlite'), { readonly: true });
      try {
        const executed = db
          .prepare(
            "SELECT count(*) AS n FROM events WHERE event = 'prefect.automation.action.executed' AND body LIKE ?",
          )
          .get(`%${automation.id}%`) as { n: number };
        expect(executed.n).toBe(1);
      } finally {
        db.close();
      }
      expect(calls).toBe(1);
    } finally {
      sink.close();
    }
  }, 240_000);
});
