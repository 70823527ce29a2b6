// Runs the Temporal CLI's dev server as a child process: the embedded default behind `npm start`, and the server
// the integration tests share. State persists in --db-filename; the Web UI serves operators. `npm start` runs it
// supervised (dev-server-supervisor.ts), so that it stops when tripwire dies and a Ctrl-C reaches tripwire first.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SqliteSynchronous } from '../config/env';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { ensureSearchAttributes, waitForTemporal } from './connect';
import type { SupervisorMessage } from './dev-server-supervisor';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  namespace: string;
  /** SQLite file that keeps workflows across restarts; omit for an in-memory server. */
  dbFile?: string;
  /**
   * How hard the server's SQLite file syncs its commits (see dbFilePragmas); `normal` unless set. Ignored without
   * dbFile.
   */
  dbSynchronous?: SqliteSynchronous;
  /** Where the server's own log goes (it is chatty); omit to discard it. */
  logFile?: string;
  dynamicConfig?: Record<string, string | number | boolean>;
  startTimeoutMs?: number;
  /**
   * Run the server under dev-server-supervisor.js, in a process group of its own: it stops when this process dies
   * (kill -9 included), and a terminal's Ctrl-C reaches only this process, which stops its worker before the server.
   * Needs the compiled build.
   */
  supervised?: boolean;
}

/** How the server process ended. */
export interface DevServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string | undefined;
  /** The process started: the server itself, or its supervisor. */
  readonly child: ChildProcess;
  /** The server's own process id. */
  readonly pid: number;
  /** Resolves when the server has exited, for whatever reason. */
  readonly exited: Promise<DevServerExit>;
  /** Stops the server: SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

/** Thrown when the dev server cannot be started or does not answer in time. */
export class DevServerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DevServerError';
  }
}

/**
 * Temporal server settings tripwire relies on: workflow updates and update-with-start for automation definitions, and
 * eager activity execution, so a firing's actions start in the reply to the workflow task that scheduled them, without
 * a trip through the activity task queue. docker-compose.yml mounts the same in deploy/temporal-dynamic-config.yaml.
 */
export const TRIPWIRE_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'frontend.enableExecuteMultiOperation': true,
  'system.enableActivityEagerExecution': true,
});

export type { SqliteSynchronous };

/**
 * The server's SQLite file in WAL mode. Its own default, a rollback journal with synchronous=FULL, syncs several
 * times per commit, and the server commits a few times for every signal, workflow task and activity: at 100
 * events/s that alone took a trigger's p50 from 17 ms (in memory) to 47 ms. With WAL, `normal` (as tripwire's own
 * database runs) survives the process being killed and may lose the last commits to a power cut; `full` syncs each
 * commit and survives both.
 */
export function dbFilePragmas(synchronous: SqliteSynchronous = 'normal'): string[] {
  return ['journal_mode=wal', `synchronous=${synchronous}`];
}

/** Starts the dev server and resolves once it answers and tripwire's search attributes are registered. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  if (!fs.existsSync(options.cliPath)) {
    throw new DevServerError(
      `Temporal CLI not found at ${options.cliPath}: run "bash scripts/install-temporal.sh" (npm start does), ` +
        'set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to use an existing cluster.',
    );
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...(options.dbFile
      ? [
          '--db-filename',
          options.dbFile,
          ...dbFilePragmas(options.dbSynchronous).flatMap((pragma) => ['--sqlite-pragma', pragma]),
        ]
      : []),
    ...ALL_SEARCH_ATTRIBUTE_KEYS.flatMap((key) => [
      '--search-attribute',
      `${key.name}=${searchAttributeCliType(key.type)}`,
    ]),
    ...Object.entries({
      ...TRIPWIRE_DYNAMIC_CONFIG,
      ...options.dynamicConfig,
    }).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
  if (options.dbFile) fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const log = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  let child: ChildProcess;
  try {
    child = options.supervised
      ? fork(supervisorPath(), [options.cliPath, ...args], {
          detached: true,
          stdio: ['ignore', log, log, 'ipc'],
          execArgv: [],
        })
      : spawn(options.cliPath, args, { stdio: ['ignore', log, log], detached: false });
  } finally {
    if (typeof log === 'number') fs.closeSync(log);
  }

  // A supervised server reports its pid and how it ended; the supervisor's own exit stands in if it could not.
  let serverPid: Promise<number>;
  let reported: DevServerExit | undefined;
  if (options.supervised) {
    serverPid = new Promise((resolve) => {
      child.on('message', (message: SupervisorMessage) => {
        if (message.type === 'started') resolve(message.pid);
        else reported = { code: message.code, signal: message.signal };
      });
    });
  } else {
    serverPid = Promise.resolve(child.pid ?? -1);
  }
  let exitedWith: DevServerExit | undefined;
  const exited = new Promise<DevServerExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedWith = reported ?? { code, signal };
      resolve(exitedWith);
    }),
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) => reject(new DevServerError(`could not start ${options.cliPath}: ${error.message}`))),
  );
  const address = `127.0.0.1:${options.port}`;
  let pid = -1;
  const stop = async () => {
    if (exitedWith) return;
    child.kill('SIGTERM');
    // The supervisor gives the server 10 s before SIGKILL; a few more for itself before it gets the same.
    const killer = setTimeout(
      () => {
        child.kill('SIGKILL');
        if (options.supervised && pid > 0) killQuietly(pid);
      },
      options.supervised ? 15_000 : 10_000,
    );
    await exited;
    clearTimeout(killer);
  };
  try {
    const exitedEarly = exited.then((how) => {
      throw new DevServerError(
        `the Temporal dev server exited during start-up (${how.code ?? how.signal})` +
          (options.logFile ? `; see ${options.logFile}` : '') +
          `. Is port ${options.port} or ${options.uiPort ?? ''} already in use?`,
      );
    });
    pid = await Promise.race([serverPid, exitedEarly, spawnError]);
    await Promise.race([
      waitForTemporal(address, options.namespace, options.startTimeoutMs ?? 60_000),
      exitedEarly,
      spawnError,
    ]);
    // --search-attribute only applies when the namespace is created, i.e. on a fresh --db-filename.
    await ensureSearchAttributes(address, options.namespace);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`,
    child,
    pid,
    exited,
    stop,
  };
}

/** The compiled supervisor beside this file; run from TypeScript sources (as under jest) there is none. */
function supervisorPath(): string {
  const resolved = require.resolve('./dev-server-supervisor');
  if (!resolved.endsWith('.js')) {
    throw new DevServerError(`a supervised dev server needs the compiled build (npm run build); found ${resolved}`);
  }
  return resolved;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function searchAttributeCliType(type: string): string {
  const names: Record<string, string> = {
    TEXT: 'Text',
    KEYWORD: 'Keyword',
    INT: 'Int',
    DOUBLE: 'Double',
    BOOL: 'Bool',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  return names[type] ?? 'Keyword';
}
