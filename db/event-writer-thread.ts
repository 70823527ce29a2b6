// The event writer thread (db/event-writer.ts): its own SQLite connection, running EventWrites and FlowRunWrites one
// request at a time in arrival order, as the main thread's connection would have.
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteConnection } from './connect';
import type { WriteReply, WriteRequest } from './event-writer';
import { EventWrites } from './event-writes';
import { FlowRunWrites } from './flow-run-writes';

const { kysely } = openSqliteConnection((workerData as { file: string }).file);
const events = new EventWrites(kysely);
const runs = new FlowRunWrites(kysely);
const port = parentPort!;

let queue = Promise.resolve();
port.on('message', (request: WriteRequest) => {
  queue = queue.then(async () => {
    let reply: WriteReply;
    try {
      const target = request.method in runs ? runs : events;
      const call = (target[request.method as keyof typeof target] as (...args: unknown[]) => Promise<unknown>).bind(
        target,
      );
      reply = { id: request.id, result: await call(...request.args) };
    } catch (error) {
      reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
});
