// `npm start` end to end: the compiled entry brings up the embedded Temporal dev server (with its UI), the worker and
// the API; stopping and starting again keeps both the database and Temporal's state.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { freePort } from '../helpers/ports';
import { eventually, readJson } from '../helpers/tripwire';

const root = path.resolve(__dirname, '..', '..');
const entry = path.join(root, 'dist', 'scripts', 'start.js');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  let output = '';
  const child = spawn(process.execPath, [entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('npm start (dist/scripts/start.js)', () => {
  const dataDir = path.join(process.env.TRIPWIRE_TEST_TMP!, 'start-data');
  let env: Record<string, string>;
  let url: string;

  beforeAll(async () => {
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" (npm test's pretest does)`);
    const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      TRIPWIRE_DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: '',
      DATABASE_URL: '',
      TRIPWIRE_API_KEY: '',
      LOG_LEVEL: 'warn',
    };
  });

  it('starts everything, prints where it is, keeps state across a restart and stops cleanly on SIGTERM', async () => {
    const first = start(env);
    try {
      await eventually(
        async () => (first.output().includes('tripwire is running') ? true : undefined),
        90_000,
        'start-up',
      );
      const printed = first.output();
      expect(printed).toContain(`${url}/api`);
      expect(printed).toContain('/hooks/<slug>');
      expect(printed).toMatch(new RegExp(`Temporal UI\\s+http://127\\.0\\.0\\.1:${env.TEMPORAL_UI_PORT}`));
      const key = /API key\s+(tw_\S+)\s+\(generated now/.exec(printed)?.[1];
      expect(key).toBeDefined();
      expect(fs.readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim()).toBe(key);

      const health = await (await fetch(`${url}/healthz`)).json();
      expect(health).toMatchObject({ temporal: { reachable: true }, database: { reachable: true } });
      expect((await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`)).status).toBe(200);

      const created = await fetch(`${url}/api/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'persisted',
          template: '{"event": "x", "resource": {"prefect.resource.id": "y"}}',
        }),
      });
      expect(created.status).toBe(201);
      const webhook = await readJson(created);

      // A workflow that must survive the restart, in the embedded server's own database.
      const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_PORT}` });
      const client = new Client({ connection });
      await client.workflow.start('automationWorkflow', {
        taskQueue: 'nobody-polls-this',
        workflowId: 'start-test/persisted',
        args: [{}],
      });
      await connection.close();

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.output()).toContain('stopped');
      // The embedded server's file is in WAL mode (bytes 18-19 of an SQLite header are 2 for WAL, 1 for a rollback
      // journal): its own default synced several times per commit.
      const header = fs.readFileSync(path.join(dataDir, 'temporal.sqlite')).subarray(18, 20);
      expect([...header]).toEqual([2, 2]);

      const second = start(env);
      try {
        await eventually(
          async () => (second.output().includes('tripwire is running') ? true : undefined),
          90_000,
          'restart',
        );
        expect(second.output()).not.toContain('generated now');
        const listed = await readJson(
          await fetch(`${url}/api/webhooks/${webhook.id}`, { headers: { authorization: `Bearer ${key}` } }),
        );
        expect(listed.slug).toBe(webhook.slug);
        const again = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_PORT}` });
        const described = await new Client({ connection: again }).workflow.getHandle('start-test/persisted').describe();
        expect(described.status.name).toBe('RUNNING');
        await again.close();
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    }
  }, 240_000);
});
