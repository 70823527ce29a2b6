// The Temporal dev server `npm start` embeds, kept alive for as long as tripwire runs and never beyond. At start it
// stops a server an earlier, crashed tripwire left on the same data folder; while tripwire runs it restarts the server
// if that dies (its state is in the data folder, so workflows carry on); and the supervisor stops the server when
// tripwire dies. A pid file names the tripwire that owns the folder's server, so a second tripwire started on the
// same folder is told so instead of stopping the first one's server.
import fs from 'node:fs';
import type { Logger } from '../logging/logger';
import {
  type DevServer,
  DevServerError,
  type DevServerExit,
  type DevServerOptions,
  startDevServer,
} from './dev-server';
import { findLeftovers, stopLeftovers } from './leftover-servers';

export interface EmbeddedTemporalOptions extends Omit<DevServerOptions, 'supervised' | 'dbFile'> {
  dbFile: string;
  /** The owner file, <data dir>/temporal.pid. */
  pidFile: string;
  logger: Logger;
  /** Called once when the server died and could not be brought back: tripwire should stop. */
  onFailure(error: Error): void;
}

/** What temporal.pid holds. */
interface OwnerRecord {
  tripwire_pid: number;
  supervisor_pid: number | undefined;
  server_pid: number;
  db_file: string;
  started: string;
}

/** Restarts allowed within RESTART_WINDOW_MS before tripwire gives up on the server. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60 * 1000;

/** The embedded dev server of one data folder. */
export class EmbeddedTemporal {
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly restarts: number[] = [];

  private constructor(
    private server: DevServer,
    private readonly options: EmbeddedTemporalOptions,
  ) {
    this.watch(server);
  }

  /** Stops any leftover server of the data folder, then starts one; resolves once it answers. */
  static async start(options: EmbeddedTemporalOptions): Promise<EmbeddedTemporal> {
    return new EmbeddedTemporal(await startOwned(options), options);
  }

  get address(): string {
    return this.server.address;
  }

  get uiUrl(): string | undefined {
    return this.server.uiUrl;
  }

  /** The server's process id (it changes when the server is restarted). */
  get pid(): number {
    return this.server.pid;
  }

  /** Stops the server (after any restart in progress) and removes the pid file. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.restarting;
    await this.server.stop();
    fs.rmSync(this.options.pidFile, { force: true });
  }

  private watch(server: DevServer): void {
    void server.exited.then((how) => {
      if (this.stopping || server !== this.server) return;
      this.restarting = this.restart(how).finally(() => (this.restarting = undefined));
    });
  }

  private async restart(how: DevServerExit): Promise<void> {
    const { logger } = this.options;
    logger.error('the embedded Temporal dev server exited; restarting it', {
      code: how.code,
      signal: how.signal,
      log: this.options.logFile,
    });
    const now = Date.now();
    while (this.restarts.length > 0 && this.restarts[0]! < now - RESTART_WINDOW_MS) this.restarts.shift();
    let delayMs = 500;
    let lastError: unknown;
    while (this.restarts.length < MAX_RESTARTS) {
      await this.sleep(delayMs);
      if (this.stopping) return;
      this.restarts.push(Date.now());
      const started = Date.now();
      try {
        this.server = await startOwned(this.options);
        this.watch(this.server);
        logger.info('the embedded Temporal dev server is back', { took_ms: Date.now() - started });
        return;
      } catch (error) {
        lastError = error;
        logger.error('restarting the embedded Temporal dev server failed', { error: (error as Error).message });
        delayMs = Math.min(delayMs * 2, 8000);
      }
    }
    this.options.onFailure(
      new DevServerError(
        `the embedded Temporal dev server stopped ${MAX_RESTARTS} times within ${RESTART_WINDOW_MS / 60_000} minutes` +
          (lastError ? ` (last: ${(lastError as Error).message})` : '') +
          (this.options.logFile ? `; see ${this.options.logFile}` : ''),
      ),
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Stops what an earlier tripwire left on the data folder, starts a supervised server and records the owner. */
async function startOwned(options: EmbeddedTemporalOptions): Promise<DevServer> {
  const { dbFile, pidFile, logger } = options;
  const leftovers = findLeftovers(dbFile);
  if (leftovers.length > 0) {
    const owner = readOwner(pidFile);
    if (owner !== undefined && owner !== process.pid && leftovers.some((p) => p.ppid === owner)) {
      throw new DevServerError(
        `another tripwire (pid ${owner}) is running the Temporal dev server of ${dbFile}; stop it first`,
      );
    }
    logger.warn('stopping a Temporal dev server left running on this data folder', {
      pids: leftovers.map((p) => p.pid),
    });
    const started = Date.now();
    await stopLeftovers(leftovers, dbFile);
    logger.info('stopped the leftover Temporal dev server', { took_ms: Date.now() - started });
  }
  const server = await startDevServer({ ...options, dbFile, supervised: true });
  const record: OwnerRecord = {
    tripwire_pid: process.pid,
    supervisor_pid: server.child.pid,
    server_pid: server.pid,
    db_file: dbFile,
    started: new Date().toISOString(),
  };
  fs.writeFileSync(pidFile, JSON.stringify(record, null, 2) + '\n');
  return server;
}

/** The pid of the tripwire that last started the folder's server, if the file says. */
function readOwner(pidFile: string): number | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as Partial<OwnerRecord>;
    return typeof record.tripwire_pid === 'number' ? record.tripwire_pid : undefined;
  } catch {
    return undefined;
  }
}
