// A whole tripwire for an integration test: a fresh database of the chosen dialect, the shared Temporal dev server, a
// task queue of its own (so workers of other test files never take its tasks), the worker, the router and the HTTP
// server on a free port.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Dialect } from '../../db/connect';
import { loadConfig } from '../../services/config/env';
import { PoolWorker } from '../../worker/pool-worker';
import { createLogger } from '../../services/logging/logger';
import { buildApp, buildUpgrade, listen, type RunningHttpServer } from '../../api/server';
import { type ApiServices, withApiParts } from '../../api/wiring';
import { openCoreServices, type OpenServicesOptions } from '../../services/wiring';
import { withWorkerParts, type WorkerParts } from '../../worker/wiring';
import { type RunningWorker, startWorker } from '../../worker/tripwire-worker';
import { createTestDb, type TestDb } from './db';

/** A fetch Response whose JSON body tests read without casting at every step. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<any> };

/** Reads a JSON body as the loosely typed value tests assert on. */
export function readJson(response: {
  json(): Promise<unknown>;
}): Promise<TestResponse extends { json(): Promise<infer T> } ? T : never> {
  return response.json();
}

export interface TestTripwire {
  url: string;
  apiKey: string;
  services: ApiServices & WorkerParts;
  /** fetch against the API with the key set; JSON bodies are serialised. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  /** Drains and stops the worker (the API and the router keep running). */
  stopWorker(): Promise<void>;
  /** Starts the worker again after stopWorker(). */
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestTripwireOptions {
  dialect?: Dialect;
  env?: Record<string, string>;
  /** Start the worker (default true); a test of routing alone can leave it out. */
  worker?: boolean;
  temporalAddress?: string;
  /** Passed to openServices (e.g. tracing to an in-memory exporter). */
  services?: OpenServicesOptions;
}

/** Starts a tripwire for one test file. */
export async function startTestTripwire(options: TestTripwireOptions = {}): Promise<TestTripwire> {
  const testDb: TestDb = await createTestDb(options.dialect ?? 'sqlite');
  const apiKey = `test-${crypto.randomBytes(8).toString('hex')}`;
  const config = loadConfig({
    TRIPWIRE_DATA_DIR: testDb.dataDir,
    DATABASE_URL: testDb.databaseUrl,
    TRIPWIRE_API_KEY: apiKey,
    TEMPORAL_TASK_QUEUE: `test-${crypto.randomBytes(6).toString('hex')}`,
    LOG_LEVEL: process.env.TRIPWIRE_TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });
  const address = options.temporalAddress ?? process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!;
  await testDb.db.close();
  const services = withWorkerParts(
    withApiParts(await openCoreServices(config, createLogger(config.logLevel), address, options.services)),
  );
  await services.registry.start();
  let worker: RunningWorker | undefined;
  if (options.worker !== false) worker = await startWorker(services, { maxCachedWorkflows: 100 });
  services.router.start();
  const http: RunningHttpServer = await listen(buildApp(services), '127.0.0.1', 0, buildUpgrade(services));
  return {
    url: http.url,
    apiKey,
    services,
    api: (method, path, body, headers = {}) =>
      fetch(`${http.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    stopWorker: async () => {
      await worker?.stop();
      worker = undefined;
    },
    startWorker: async () => {
      worker ??= await startWorker(services, { maxCachedWorkflows: 100 });
    },
    stop: async () => {
      await http.close();
      await worker?.stop();
      await services.close();
      await testDb.drop();
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * Starts a pool worker (on a fresh pool unless `name` is given) for `tw`'s deployments, polling for changes every
 * 300 ms. It records function flows' starts and ends directly, as `npm start`'s does, unless `signalStarts` asks for
 * the signal and result a pool worker outside tripwire's process (`tripwire worker --pool`) sends.
 */
export async function startTestPool(
  tw: TestTripwire,
  address = process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!,
  name = `pool-${crypto.randomBytes(4).toString('hex')}`,
  options: { signalStarts?: boolean } = {},
): Promise<{ pool: PoolWorker; name: string }> {
  const pool = new PoolWorker(
    tw.services.deployments,
    {
      address,
      namespace: 'default',
      pool: name,
      pollIntervalMs: 300,
      nodeModules: path.resolve(__dirname, '..', '..', 'node_modules'),
      tracing: tw.services.tracing,
      ...(options.signalStarts ? {} : { records: tw.services.flowRunRecords }),
    },
    createLogger('silent'),
  );
  await pool.start();
  return { pool, name };
}
