// tripwire's compiled entry points as real child processes, for tests that kill them: each keeps its output in a
// log file (shown when a test fails) and can be killed with any signal and started again with the same settings.
// The scale benchmark (bench/scale.ts) starts its api and worker processes with it too.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../services/config/project-root';

// From the sources (tests) or from dist/ (the scale benchmark imports this too).
const root = projectRoot(__dirname);

/** Returns the compiled entry `relative` (under dist/), or throws saying how to build it. */
export function distEntry(relative: string): string {
  const entry = path.join(root, 'dist', relative);
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" (npm test's pretest does)`);
  return entry;
}

/** A node process of one of tripwire's entries that can be killed and started again. */
export class NodeProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private starts = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) return;
    this.starts += 1;
    const log = fs.openSync(this.logFile, 'a');
    fs.writeSync(log, `--- start ${this.starts} of ${this.name} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [this.entry], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    await this.exited;
  }

  /** Stops it cleanly (SIGTERM), or kills it if it takes longer than `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }

  /** The end of its log, to show why a test failed. */
  tail(lines = 40): string {
    if (!fs.existsSync(this.logFile)) return '';
    return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}
