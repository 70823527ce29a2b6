// Runs the Temporal CLI's dev server as a child process: the embedded default behind `npm start`, and the server
// the integration tests share. State persists in --db-filename; the Web UI serves operators.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SqliteSynchronous } from '../config/env';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { ensureSearchAttributes, waitForTemporal } from './connect';

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
}

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string | undefined;
  readonly child: ChildProcess;
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
  const child = spawn(options.cliPath, args, { stdio: ['ignore', log, log], detached: false });
  if (typeof log === 'number') fs.closeSync(log);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) => reject(new DevServerError(`could not start ${options.cliPath}: ${error.message}`))),
  );
  const address = `127.0.0.1:${options.port}`;
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(killer);
  };
  try {
    const exitedEarly = exit.then(() => {
      throw new DevServerError(
        `the Temporal dev server exited during start-up (${exited?.code ?? exited?.signal})` +
          (options.logFile ? `; see ${options.logFile}` : '') +
          `. Is port ${options.port} or ${options.uiPort ?? ''} already in use?`,
      );
    });
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
    stop,
  };
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
