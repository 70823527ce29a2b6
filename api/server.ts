// The HTTP side of a tripwire process: builds the Koa app from the services and listens.
import http from 'node:http';
import type Koa from 'koa';
import { createApp } from './app';
import { consoleRoutes } from './console';
import { automationRoutes } from './automations';
import { deploymentRoutes } from './deployments';
import { eventsSocket, type UpgradeHandler } from './events-socket';
import { eventQueryRoutes } from './event-queries';
import { eventRoutes } from './events';
import { healthRoutes } from './health';
import { hookRoutes } from './hooks';
import { webhookRoutes } from './webhooks';
import { metricsRoutes } from './metrics';
import { metricsAccess } from '../services/metrics/server';
import { ACTIVE_FLOW_RUN_STATES } from '../services/metrics/metrics';
import type { ApiServices } from './wiring';

/** Returns the Koa app serving `services`; its /metrics also reports the outbox and the flow runs' states. */
export function buildApp(services: ApiServices): Koa {
  const { config } = services;
  services.metrics.observeDatabase({
    outbox: () => services.events.outboxStats(),
    activeFlowRuns: () => services.flowRunRecords.countByState(ACTIVE_FLOW_RUN_STATES),
  });
  return createApp({
    apiKey: services.apiKey.key,
    logger: services.logger,
    console: consoleRoutes(services),
    metrics: services.metrics,
    tracing: services.tracing,
    publicRoutes: [
      healthRoutes(
        [
          { name: 'temporal', check: () => services.temporal.check() },
          { name: 'database', check: () => services.db.ping() },
        ],
        [{ name: 'outbox', read: () => outboxReport(services) }],
      ),
      hookRoutes(services.receiver, config.webhookMaxBodyBytes, services.metrics),
      metricsRoutes(services.metrics, metricsAccess(services.apiKey.key, config)),
    ],
    apiRoutes: [
      webhookRoutes(services.webhookService, services.receiver),
      eventQueryRoutes(services.eventQueries),
      eventRoutes(services.events, services.pipeline, services.feed, { maxBodyBytes: config.eventMaxBytes }),
      automationRoutes(services.automationService),
      ...deploymentRoutes(services.deploymentService, services.flowRunStarter, services.flowRunRecords, process.cwd(), {
        namespace: config.temporal.namespace,
        uiUrl: config.temporal.uiUrl,
      }),
    ],
  });
}

/** The router's lag: events waiting in the outbox, and how long the oldest has waited. */
async function outboxReport(services: ApiServices): Promise<Record<string, unknown>> {
  const { depth, oldestEnqueuedAt } = await services.events.outboxLag();
  return {
    depth,
    oldest_age_ms: oldestEnqueuedAt === null ? 0 : Math.max(0, Date.now() - Date.parse(oldestEnqueuedAt)),
  };
}

/** Returns the handler of WebSocket upgrades: Prefect's event streams, /api/events/in and /api/events/out. */
export function buildUpgrade(services: ApiServices): UpgradeHandler {
  return eventsSocket({
    apiKey: services.apiKey.key,
    pipeline: services.pipeline,
    feed: services.feed,
    queries: services.eventQueries,
    logger: services.logger,
    maxEventBytes: services.config.eventMaxBytes,
  });
}

export interface RunningHttpServer {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 picks a free one); resolves once listening. */
export async function listen(
  app: Koa,
  host: string,
  port: number,
  upgrade?: UpgradeHandler,
): Promise<RunningHttpServer> {
  const handle = app.callback();
  const server = http.createServer((req, res) => void handle(req, res));
  if (upgrade) server.on('upgrade', (req, socket, head) => upgrade.handle(req, socket, head));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        upgrade?.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        // Live tails never end on their own; give in-flight requests a moment, then cut what is left.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
