// Shared pieces of the benchmarks: a load run with autocannon (in a worker thread, so the server under test keeps
// the main thread), a tripwire on a temporary SQLite database, and number formatting.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../services/config/env';
import { createLogger, type LogLevel } from '../services/logging/logger';
import { type ApiServices, withApiParts } from '../api/wiring';
import { openCoreServices } from '../services/wiring';
import { withWorkerParts, type WorkerParts } from '../worker/wiring';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Runs `connections` concurrent clients against `url` for `seconds`; returns throughput and latency (ms). */
export async function load(
  url: string,
  options: {
    seconds: number;
    connections: number;
    method?: 'GET' | 'POST';
    body?: string;
    headers?: Record<string, string>;
  },
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    duration: options.seconds,
    connections: options.connections,
    method: options.method ?? 'POST',
    body: options.body,
    headers: options.headers,
    workers: 1,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** Opens tripwire's services on a fresh SQLite database in a temporary folder. */
export async function benchServices(
  temporalAddress = '127.0.0.1:1',
): Promise<{ services: ApiServices & WorkerParts; cleanup(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-bench-'));
  // BENCH_LOG_LEVEL=warn shows what went wrong during a slow run (retried deliveries, failed workflow tasks).
  const level = process.env.BENCH_LOG_LEVEL ?? 'error';
  // A task queue of its own: a scenario's worker must not inherit the workflows an earlier scenario left running on
  // the same server (replaying their histories was charged to the latency run that followed the throughput runs).
  const config = loadConfig({
    TRIPWIRE_DATA_DIR: dataDir,
    TRIPWIRE_API_KEY: 'bench',
    LOG_LEVEL: level,
    TEMPORAL_TASK_QUEUE: `bench-${path.basename(dataDir)}`,
  });
  // BENCH_TRACING=1 measures with tracing on, its spans created and then discarded (no exporter's cost).
  const tracing = process.env.BENCH_TRACING === '1';
  const services = withWorkerParts(
    withApiParts(
      await openCoreServices(
        tracing ? { ...config, tracing: loadConfig({ OTEL_TRACES_EXPORTER: 'console' }).tracing } : config,
        createLogger(level as LogLevel),
        temporalAddress,
        tracing
          ? { tracing: { exporter: { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} } } }
          : {},
      ),
    ),
  );
  return {
    services,
    cleanup: async () => {
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The value at percentile `p` (0-100) of `values`, which must not be empty. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Prints a table of rows with aligned columns. */
export function table(rows: (string | number)[][]): void {
  const text = rows.map((r) => r.map(String));
  const widths = text[0]!.map((_, i) => Math.max(...text.map((r) => r[i]!.length)));
  for (const row of text)
    process.stdout.write(
      row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + '\n',
    );
}
