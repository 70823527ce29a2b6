// On SQLite, the event feed's writes run on a thread of their own with its own connection. better-sqlite3 is
// synchronous: on the main thread every commit stalled the event loop that also answers webhooks, drives the router
// and the Temporal worker (about a third of a webhook request's time went to the database). Here the main thread
// only hands the rows over. Every write to the events and outbox tables goes this way, so the two connections do not
// contend for SQLite's write lock (a busy wait would block the main thread again).
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventRow, EventWriteApi } from './event-writes';
import type { FlowRunStateColumns, FlowRunWriteApi } from './flow-run-writes';
import type { FlowRunsTable } from './tables';

/** What the thread is asked: one method of EventWrites or FlowRunWrites, and its arguments. */
export interface WriteRequest {
  id: number;
  method: keyof EventWriteApi | keyof FlowRunWriteApi;
  args: unknown[];
}

/** What it answers: the method's result, or the message of what it threw. */
export type WriteReply = { id: number; result: unknown } | { id: number; error: string };

// Loads the thread's module: compiled JavaScript in dist/, TypeScript transpiled on the fly when run from sources
// (the tests), with the project's own compiler.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) {
  const ts = require(workerData.typescript);
  const fs = require('node:fs');
  const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  require.extensions['.ts'] = (module, filename) =>
    module._compile(ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions: options, fileName: filename }).outputText, filename);
}
require(workerData.entry);
`;

function threadEntry(): string {
  const compiled = path.join(__dirname, 'event-writer-thread.js');
  return fs.existsSync(compiled) ? compiled : path.join(__dirname, 'event-writer-thread.ts');
}

/** The client of the writer thread; it starts the thread on first use and again after it died. */
export class EventWriterThread implements EventWriteApi, FlowRunWriteApi {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly file: string) {}

  insert(rows: EventRow[]): Promise<string[]> {
    return this.call('insert', [rows]) as Promise<string[]>;
  }

  prune(cutoff: string, batch: number): Promise<number> {
    return this.call('prune', [cutoff, batch]) as Promise<number>;
  }

  completeOutbox(eventIds: string[]): Promise<void> {
    return this.call('completeOutbox', [eventIds]) as Promise<void>;
  }

  retryOutbox(eventIds: string[], availableAt: string, error: string): Promise<void> {
    return this.call('retryOutbox', [eventIds, availableAt, error]) as Promise<void>;
  }

  postponeOutbox(eventIds: string[], availableAt: string): Promise<void> {
    return this.call('postponeOutbox', [eventIds, availableAt]) as Promise<void>;
  }

  retryOutboxNow(now: string): Promise<void> {
    return this.call('retryOutboxNow', [now]) as Promise<void>;
  }

  insertRun(run: FlowRunsTable, events: EventRow[]): Promise<boolean> {
    return this.call('insertRun', [run, events]) as Promise<boolean>;
  }

  updateRunState(
    id: string,
    expectedStateId: string,
    columns: FlowRunStateColumns,
    events: EventRow[],
  ): Promise<boolean> {
    return this.call('updateRunState', [id, expectedStateId, columns, events]) as Promise<boolean>;
  }

  /** Lets the writes in flight finish, then ends the thread (and its connection). */
  async stop(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    if (!worker) return;
    await Promise.allSettled(this.inFlight);
    this.worker = undefined;
    await worker.terminate();
  }

  private call(method: WriteRequest['method'], args: unknown[]): Promise<unknown> {
    if (this.stopped) return Promise.reject(new Error('the database is closed'));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    // The thread is unreferenced while idle; a write in flight must keep the process alive until it is answered.
    if (this.pending.size === 0) worker.ref();
    const answered = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args } satisfies WriteRequest);
    });
    const settled = answered.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => {
      this.inFlight.delete(settled);
      if (this.pending.size === 0 && this.worker === worker) worker.unref();
    });
    return answered;
  }

  private start(): Worker {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { entry: threadEntry(), typescript: resolveTypescript(), file: this.file },
    });
    worker.unref();
    worker.on('message', (reply: WriteReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve(reply.result);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id);
        waiting.reject(error);
      }
    };
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => fail(new Error(`the event writer thread exited (code ${code})`)));
    return worker;
  }
}

function resolveTypescript(): string | undefined {
  try {
    return require.resolve('typescript');
  } catch {
    return undefined; // only sources need it, and only development installs have sources
  }
}
