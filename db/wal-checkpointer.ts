// SQLite's automatic WAL checkpoint runs inside whichever commit crosses the threshold and fsyncs the database file:
// on the webhook path that stalled the event loop for milliseconds every thousand pages, and halved insert
// throughput on an ordinary disk. Checkpoints run here instead, on a worker thread with its own connection; the
// main connection keeps a far higher automatic threshold only as a safety net should this thread die.
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints (PASSIVE: it never blocks readers or the writer). */
const CHECKPOINT_INTERVAL_MS = 250;
/** The main connection's own automatic checkpoint, in pages, for when the worker is gone. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000;

// Plain JavaScript evaluated in the worker, so it runs the same from TypeScript sources (tests) and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = (mode) => { try { db.pragma('wal_checkpoint(' + mode + ')'); } catch {} };
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint('PASSIVE');
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  /** Checkpoints once more, closes the worker's connection and ends the thread. */
  stop(): Promise<void>;
}

/** Starts checkpointing the WAL of the SQLite database at `file` from a worker thread. */
export function startWalCheckpointer(file: string): WalCheckpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver: require.resolve('better-sqlite3'), intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  // It must never keep a process alive, nor take it down: the fallback threshold covers a dead worker.
  worker.unref();
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: async () => {
      worker.ref(); // held until it has finished, so a closing process waits for the last checkpoint
      worker.postMessage('stop');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      await worker.terminate();
    },
  };
}
