// Entry of the worker process (docker-compose's `worker`): polls tripwire's task queue on the Temporal cluster at
// TEMPORAL_ADDRESS, retrying the connection until the cluster answers.
import { loadConfigOrExit, onShutdownSignal } from '../services/config/process';
import { openCoreServices } from '../services/wiring';
import { withWorkerParts } from './wiring';
import { startWorker } from './tripwire-worker';
import { waitForTemporal } from '../services/temporal/connect';
import { temporalAddress } from '../services/config/env';
import { metricsAccess, serveMetrics } from '../services/metrics/server';
import { resolveApiKey } from '../services/config/api-key';

async function main(): Promise<void> {
  const { config, logger } = loadConfigOrExit();
  const address = temporalAddress(config.temporal);
  await waitForTemporal(address, config.temporal.namespace, 10 * 60 * 1000);
  const services = withWorkerParts(await openCoreServices(config, logger, address));
  await services.registry.start();
  const worker = await startWorker(services, { readyFile: '/tmp/tripwire-worker-ready' });
  logger.info('worker polling', { task_queue: config.temporal.taskQueue, temporal: address });
  const metrics =
    config.metrics.workerPort === undefined
      ? undefined
      : await serveMetrics(
          services.metrics,
          config.host,
          config.metrics.workerPort,
          metricsAccess(resolveApiKey({ apiKey: config.apiKey, dataDir: config.dataDir }).key, config),
        );
  if (metrics) logger.info('worker metrics served', { url: metrics.url });
  onShutdownSignal(logger, async () => {
    await metrics?.close();
    await worker.stop();
    await services.close();
  });
  await worker.done;
}

main().catch((error: unknown) => {
  process.stderr.write(`tripwire worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
