// Runs a TypeScript file of the tests in a process of its own, compiled on the fly with the project's TypeScript, as
// a team's separately started program would run.
import { type ChildProcess, spawn } from 'node:child_process';

const BOOTSTRAP = `
const ts = require(${JSON.stringify(require.resolve('typescript'))});
const fs = require('node:fs');
const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
require.extensions['.ts'] = (module, filename) =>
  module._compile(ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions: options, fileName: filename }).outputText, filename);
require(process.argv[1]);
`;

export interface TsProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when its output contains `text`; rejects if it exits first or after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts `file` with `args`. */
export function startTsProcess(file: string, args: string[]): TsProcess {
  const child = spawn(process.execPath, ['-e', BOOTSTRAP, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    waitFor: async (text, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (child.exitCode !== null) throw new Error(`${file} exited (${child.exitCode}) before "${text}":\n${output}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" from ${file}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
