// Metrics of the process rather than of one set of services: Node.js's own (CPU, memory, event-loop delay, GC) and
// whatever else is process-wide, such as the Temporal SDK's runtime (services/temporal/sdk-metrics.ts). One registry
// per process, appended to every scrape of that process.
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | undefined;
const beforeScrape: (() => void)[] = [];

/** The process-wide registry, with Node.js's default metrics. */
export function processRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

/** Runs `hook` before each scrape of the process registry (to bring buffered metrics up to date). */
export function onProcessScrape(hook: () => void): void {
  beforeScrape.push(hook);
}

/** The process-wide metrics in Prometheus text. */
export async function processMetricsText(): Promise<string> {
  for (const hook of beforeScrape) hook();
  return processRegistry().metrics();
}
