// Entry of the api process (docker-compose's `api`): the HTTP API, webhook ingress and event router, against the
// Temporal cluster at TEMPORAL_ADDRESS. The worker runs as its own process (worker/main.ts).
import { buildApp, buildUpgrade, listen } from './server';
import { loadConfigOrExit, onShutdownSignal } from '../services/config/process';
import { openCoreServices } from '../services/wiring';
import { withApiParts } from './wiring';
import { ensureSearchAttributes } from '../services/temporal/connect';
import { temporalAddress } from '../services/config/env';

async function main(): Promise<void> {
  const { config, logger } = loadConfigOrExit();
  const address = temporalAddress(config.temporal);
  const services = withApiParts(await openCoreServices(config, logger, address));
  await services.registry.start();
  services.router.start();
  services.retention.start();
  // Registration and reconciliation need Temporal; they retry in the background while it is down.
  void ensureSearchAttributes(address, config.temporal.namespace).catch((error: unknown) =>
    logger.warn('could not register search attributes yet', { error: (error as Error).message }),
  );
  void services.automationService.reconcile();
  void services.flowRunStarter
    .resumeStarts()
    .catch((error: unknown) =>
      logger.warn('could not look for flow runs waiting to start', { error: (error as Error).message }),
    );
  const http = await listen(buildApp(services), config.host, config.port, buildUpgrade(services));
  logger.info('api listening', { url: http.url, temporal: address, database: services.db.location });
  if (services.apiKey.generated)
    logger.info('generated an API key; it is stored in the data folder', { dir: config.dataDir });
  onShutdownSignal(logger, async () => {
    await http.close();
    await services.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`tripwire api: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
