// `npm start`: tripwire on the embedded default. Starts the Temporal dev server (unless TEMPORAL_ADDRESS points at a
// cluster), then the worker and the API in this one process, prints where everything is, and shuts all of it down
// cleanly on Ctrl-C: the worker hands back its tasks before the server stops. State persists in TRIPWIRE_DATA_DIR,
// so starting again picks up where it stopped, after a crash too (services/temporal/embedded-temporal.ts).
import path from 'node:path';
import { API_KEY_FILE } from '../services/config/api-key';
import { buildApp, buildUpgrade, listen } from '../api/server';
import { onShutdownSignal, loadConfigOrExit } from '../services/config/process';
import { projectRoot } from '../services/config/project-root';
import { withApiParts } from '../api/wiring';
import { openCoreServices } from '../services/wiring';
import { withWorkerParts } from '../worker/wiring';
import { startWorker } from '../worker/tripwire-worker';
import { EmbeddedTemporal } from '../services/temporal/embedded-temporal';
import { PoolWorker } from '../worker/pool-worker';

const DEFAULT_POOL = 'default';

async function main(): Promise<void> {
  const { config, logger } = loadConfigOrExit();
  let devServer: EmbeddedTemporal | undefined;
  let temporalAddress = config.temporal.address;
  if (!temporalAddress) {
    logger.info('starting the embedded Temporal dev server', {
      port: config.temporal.port,
      ui_port: config.temporal.uiPort,
    });
    devServer = await EmbeddedTemporal.start({
      cliPath: config.temporal.cliPath,
      port: config.temporal.port,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      dbFile: path.join(config.dataDir, 'temporal.sqlite'),
      dbSynchronous: config.temporal.dbSynchronous,
      logFile: path.join(config.dataDir, 'temporal.log'),
      pidFile: path.join(config.dataDir, 'temporal.pid'),
      logger,
      onFailure: (error) => {
        logger.error('giving up on the embedded Temporal dev server', { error: error.message });
        process.exitCode = 1;
        process.kill(process.pid, 'SIGTERM');
      },
    });
    temporalAddress = devServer.address;
  }

  let services, worker, http, pool;
  try {
    const opened = withWorkerParts(withApiParts(await openCoreServices(config, logger, temporalAddress)));
    services = opened;
    await services.registry.start();
    worker = await startWorker(services);
    services.router.start();
    services.retention.start();
    await services.automationService.reconcile();
    await services.flowRunStarter.resumeStarts();
    pool = new PoolWorker(
      services.deployments,
      {
        address: temporalAddress,
        namespace: config.temporal.namespace,
        pool: DEFAULT_POOL,
        nodeModules: path.join(projectRoot(), 'node_modules'),
        tracing: services.tracing,
        // In this process the records are at hand: a function flow's start and end are written, not signalled.
        records: opened.flowRunRecords,
      },
      logger,
    );
    await pool.start();
    http = await listen(buildApp(services), config.host, config.port, buildUpgrade(services));
  } catch (error) {
    // Never leave the embedded server running behind a failed start.
    await pool?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await services?.close().catch(() => undefined);
    await devServer?.stop();
    throw error;
  }

  const lines = [
    '',
    'tripwire is running',
    `  Console          ${config.publicUrl}/   (sign in with the ${config.console.password ? 'console password' : 'API key'})`,
    `  API              ${http.url}/api   (Authorization: Bearer <key>)`,
    `  Webhooks         ${config.publicUrl}/hooks/<slug>`,
    `  Health           ${http.url}/healthz`,
    `  Metrics          ${http.url}/metrics   (Prometheus; ${
      config.metrics.public ? 'no key' : config.metrics.key ? 'the API key or TRIPWIRE_METRICS_KEY' : 'the API key'
    })`,
    ...(config.tracing
      ? [`  Tracing          ${config.tracing.exporter === 'otlp' ? config.tracing.otlp.url : 'console'}`]
      : []),
    `  Temporal         ${temporalAddress} (namespace ${config.temporal.namespace})`,
    ...(config.temporal.uiUrl ? [`  Temporal UI      ${config.temporal.uiUrl}`] : []),
    `  Database         ${services.db.location}`,
    `  Work pool        ${DEFAULT_POOL} (flows of its deployments run in this process)`,
    services.apiKey.generated
      ? `  API key          ${services.apiKey.key}   (generated now, kept in ${path.join(config.dataDir, API_KEY_FILE)})`
      : config.apiKey
        ? '  API key          from TRIPWIRE_API_KEY'
        : `  API key          in ${path.join(config.dataDir, API_KEY_FILE)}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  const running = { services, worker, http, pool };
  onShutdownSignal(logger, async () => {
    await running.http.close();
    await running.pool.stop();
    await running.worker.stop();
    await running.services.close();
    await devServer?.stop();
    // Like the banner, this line is for the person at the terminal, whatever LOG_LEVEL says.
    process.stdout.write('tripwire stopped\n');
  });
  worker.done.catch((error: unknown) => {
    logger.error('worker failed', { error: (error as Error).message });
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`tripwire: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
