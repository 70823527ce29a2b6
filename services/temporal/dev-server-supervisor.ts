// The embedded dev server's keeper, run by `npm start` as a child with an IPC channel (dev-server.ts forks it): it
// starts the Temporal CLI and stops it when tripwire is gone. The CLI is a Go binary we don't patch, and nothing
// makes a child die with its parent on every platform; a kill -9 of tripwire closes this IPC channel, though, so the
// server outlives tripwire by its own clean stop (about a second), not until someone finds it.
//
// Usage (by dev-server.ts only): node dev-server-supervisor.js <temporal CLI> <its arguments…>
import { spawn } from 'node:child_process';

/** What the supervisor tells its parent over IPC. */
export type SupervisorMessage =
  { type: 'started'; pid: number } | { type: 'exited'; code: number | null; signal: NodeJS.Signals | null };

/** How long the server gets to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

function main(): void {
  const [cliPath, ...args] = process.argv.slice(2);
  if (!cliPath || !process.send) {
    process.stderr.write('dev-server-supervisor: run by tripwire with an IPC channel, not by hand\n');
    process.exit(2);
  }
  // The server's output goes where the supervisor's does (the log file the parent opened).
  const server = spawn(cliPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  /** Sends `message` to the parent, if it is still there, then calls `then` (once the message is written). */
  const tell = (message: SupervisorMessage, then: () => void = () => {}) => {
    if (process.connected) process.send!(message, undefined, {}, () => then());
    else then();
  };

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.kill('SIGTERM');
    setTimeout(() => server.kill('SIGKILL'), STOP_GRACE_MS).unref();
  };
  // The parent died (any way at all, kill -9 included) or let go of the channel: the server has no one to serve.
  process.on('disconnect', stop);
  // tripwire's clean stop, or an operator's.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  if (!process.connected) stop(); // the parent died before this process got going

  server.once('error', (error) => {
    process.stderr.write(`dev-server-supervisor: could not start ${cliPath}: ${error.message}\n`);
    process.exit(127);
  });
  server.once('spawn', () => tell({ type: 'started', pid: server.pid! }));
  // Exit once the parent has the message (process.exit would drop a message still queued), or at once without one.
  server.once('exit', (code, signal) => tell({ type: 'exited', code, signal }, () => process.exit(code ?? 1)));
}

main();
