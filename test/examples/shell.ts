// Runs a README section's shell commands the way a newcomer types them: each in bash, from examples/, with variables
// set by `NAME=$(…)` kept for the commands after it, and long-running ones (a worker, a serve script) in the
// background, stopped with Ctrl-C. `npx tripwire` is the built bin/tripwire.js; the README's address
// http://127.0.0.1:4200 becomes the test's tripwire. A command the section does not show is refused, and the test can
// ask which of the section's commands it never ran.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES, ROOT } from './readme';

const BIN = path.join(ROOT, 'bin', 'tripwire.js');
const README_ADDRESS = 'http://127.0.0.1:4200';
/** `npx tripwire …` runs the compiled CLI; any other `npx` is npm's. */
const PREAMBLE =
  'npx() { if [ "$1" = tripwire ]; then shift; node "$TRIPWIRE_BIN" "$@"; else command npx "$@"; fi; }\n';

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of the commands: where tripwire and Temporal are. */
export interface ShellTarget {
  url: string;
  apiKey: string;
  namespace: string;
}

export class ReadmeShell {
  private readonly executed = new Set<string>();
  private readonly vars: Record<string, string> = {};
  private readonly background: ChildProcess[] = [];

  constructor(
    private readonly commands: string[],
    private readonly target: () => ShellTarget,
  ) {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/ is missing: run "npm run build" (npm test does)');
    }
  }

  /** The value a `NAME=$(…)` command set. */
  variable(name: string): string | undefined {
    return this.vars[name];
  }

  /** Counts `commands` as run without running them (what the test does itself, such as `cd examples`). */
  given(...commands: string[]): void {
    for (const command of commands) this.script(command);
  }

  /** The section's commands not run (nor given) so far. */
  unexecuted(): string[] {
    return this.commands.filter((command) => !this.executed.has(command));
  }

  /** Runs one command and resolves with how it ended. */
  sh(command: string): Promise<ShellResult> {
    const assignment = /^([A-Z_]+)=(\$\([\s\S]*\))$/.exec(command);
    const script = this.script(command);
    return new Promise((resolve) => {
      execFile(
        'bash',
        ['-c', PREAMBLE + (assignment ? `${script}\nprintf '%s' "$${assignment[1]}"` : script)],
        { cwd: EXAMPLES, env: this.env(), maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (assignment) this.vars[assignment[1]!] = stdout.trim();
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  /** Runs one command that must succeed; resolves with its output. */
  async ok(command: string): Promise<string> {
    const result = await this.sh(command);
    if (result.code !== 0) throw new Error(`${command} exited ${result.code}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** Starts a long-running command; resolves once its output matches `ready`. */
  start(command: string, ready: RegExp): Promise<ChildProcess> {
    const child = spawn('bash', ['-c', PREAMBLE + this.script(command)], {
      cwd: EXAMPLES,
      env: this.env(),
      detached: true,
    });
    this.background.push(child);
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command} did not get ready: ${output}`)), 60_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (ready.test(output)) {
          clearTimeout(timer);
          resolve(child);
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${output}`)));
    });
  }

  /**
   * Ctrl-C to the command's process group, as a terminal sends it; resolves once it has exited, with its exit code or
   * the signal that ended it (bash, waiting on the command, ends by the same SIGINT).
   */
  stop(child: ChildProcess): Promise<number | string | null> {
    if (child.exitCode !== null || child.signalCode !== null) {
      return Promise.resolve(child.exitCode ?? child.signalCode);
    }
    const exited = new Promise<number | string | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal)),
    );
    process.kill(-child.pid!, 'SIGINT');
    return exited;
  }

  /** Stops every background command. */
  async stopAll(): Promise<void> {
    await Promise.all(this.background.map((child) => this.stop(child)));
  }

  private script(command: string): string {
    if (!this.commands.includes(command)) throw new Error(`the README section has no command: ${command}`);
    this.executed.add(command);
    return command.replaceAll(README_ADDRESS, this.target().url);
  }

  private env(): NodeJS.ProcessEnv {
    const { url, apiKey, namespace } = this.target();
    return {
      ...process.env,
      TRIPWIRE_API_URL: url,
      TRIPWIRE_API_KEY: apiKey,
      TEMPORAL_ADDRESS: process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!,
      TEMPORAL_NAMESPACE: namespace,
      TRIPWIRE_BIN: BIN,
      LOG_LEVEL: 'warn',
      ...this.vars,
    };
  }
}
