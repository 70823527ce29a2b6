// Entry of the worker process (docker-compose's `worker`): polls tripwire's task queue on the Temporal cluster at
// TEMPORAL_ADDRESS, retrying the connection until the cluster answers.
import { loadConfigOrExit, onShutdownSignal } from '../services/config/process';
import { openServices } from '../services/wiring';
import { startWorker } from './tripwire-worker';
import { waitForTemporal } from '../services/temporal/connect';
import { metricsAccess, serveMetrics } from '../services/metrics/server';

async function main(): Promise<void> {
  const { config, logger } = loadConfigOrExit();
  const address = config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
  await waitForTemporal(address, config.temporal.namespace, 10 * 60 * 1000);
  const services = await openServices(config, logger, address);
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
          metricsAccess(services.apiKey.key, config),
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
