// `npm start` as a real process for the tests that crash it: the compiled entry in a process group of its own (as a
// terminal runs it), its output kept, and the pieces of its embedded Temporal found through the data folder.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './ports';
import { eventually } from './tripwire';

const root = path.resolve(__dirname, '..', '..');
export const START_ENTRY = path.join(root, 'dist', 'scripts', 'start.js');

export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves with the milliseconds from spawn to the "tripwire is running" banner. */
  ready(timeoutMs?: number): Promise<number>;
}

/** The environment of one embedded tripwire: a data folder, free ports, a fixed key. */
export async function startEnv(dataDir: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  return {
    PORT: String(port),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    TRIPWIRE_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: '',
    DATABASE_URL: '',
    TRIPWIRE_API_KEY: 'crash-test-key',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Spawns dist/scripts/start.js with `env`, as the leader of a new process group. */
export function startProcess(env: Record<string, string>): StartedProcess {
  if (!fs.existsSync(START_ENTRY)) throw new Error(`${START_ENTRY} is missing: run "npm run build"`);
  let output = '';
  const started = Date.now();
  const child = spawn(process.execPath, [START_ENTRY], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    output: () => output,
    exited,
    ready: async (timeoutMs = 120_000) => {
      await Promise.race([
        eventually(async () => (output.includes('tripwire is running') ? true : undefined), timeoutMs, 'start-up'),
        exited.then((code) => {
          throw new Error(`tripwire exited (${code}) during start-up:\n${output}`);
        }),
      ]);
      return Date.now() - started;
    },
  };
}

/** What <data dir>/temporal.pid says about the embedded server. */
export function ownerRecord(dataDir: string): { tripwire_pid: number; supervisor_pid: number; server_pid: number } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'temporal.pid'), 'utf8'));
}

/** True while process `pid` runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust the signal
  }
}

/** Resolves with the milliseconds until `pid` is gone. */
export async function goneWithin(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await eventually(async () => (alive(pid) ? undefined : true), timeoutMs, `process ${pid} to end`);
  return Date.now() - started;
}
