// Wires tripwire's parts together for a process: database (migrated), Temporal client, repositories, the ingest
// pipeline, the automation registry and router. api/main.ts, worker/main.ts and scripts/start.ts share it.
import { resolveApiKey } from './config/api-key';
import type { Config } from './config/env';
import { AutomationRegistry } from './automations/registry';
import { AutomationService } from './automations/service';
import { AutomationRepository } from '../db/automations';
import { type Db, openDb } from '../db/connect';
import { EventFilterQueries } from '../db/event-filter-queries';
import { EventRepository } from '../db/events';
import { migrate } from '../db/migrations/index';
import { WebhookRepository } from '../db/webhooks';
import { DeploymentRepository } from '../db/deployments';
import { FlowRunRepository } from '../db/flow-runs';
import { DeploymentService } from './deployments/deployment-service';
import { FlowRunRecords } from './deployments/flow-run-records';
import { FlowRunStarter } from './deployments/flow-run-starter';
import { ActionDeploymentRunner } from './deployments/runner';
import { DEFAULT_EVENT_LIMITS } from '../core/events/schema';
import { EventFeed } from './events/event-feed';
import { IngestPipeline } from './events/pipeline';
import { EventRouter } from './automations/router';
import type { Logger } from './logging/logger';
import { AutomationGateway } from './automations/gateway';
import { createTemporalClient, type TemporalHandle } from './temporal/client';
import { WebhookReceiver } from './webhooks/receive';
import { WebhookService } from './webhooks/service';
import { EventRetention } from './events/retention';
import { Metrics } from './metrics/metrics';
import { startTracing, type Tracing, type TracingOptions } from './tracing/tracing';
import { tracingClientInterceptors } from './tracing/temporal-client';

export interface Services {
  config: Config;
  logger: Logger;
  db: Db;
  temporal: TemporalHandle;
  apiKey: { key: string; generated: boolean };
  events: EventRepository;
  /** Prefect's EventFilter queries over the events. */
  eventQueries: EventFilterQueries;
  /** New events as they are stored, for live subscribers. */
  feed: EventFeed;
  webhooks: WebhookRepository;
  automations: AutomationRepository;
  pipeline: IngestPipeline;
  registry: AutomationRegistry;
  router: EventRouter;
  gateway: AutomationGateway;
  automationService: AutomationService;
  webhookService: WebhookService;
  receiver: WebhookReceiver;
  retention: EventRetention;
  deployments: DeploymentRepository;
  flowRunRecords: FlowRunRecords;
  flowRunStarter: FlowRunStarter;
  deploymentService: DeploymentService;
  deploymentRunner: ActionDeploymentRunner;
  metrics: Metrics;
  /** Undefined when tracing is off (the default). */
  tracing: Tracing | undefined;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  /** Tracing's options when config.tracing turns it on (the tests' in-memory exporter). */
  tracing?: TracingOptions;
}

/** Opens the database (applying migrations) and builds every service; starts nothing in the background. */
export async function openServices(
  config: Config,
  logger: Logger,
  temporalAddress: string,
  options: OpenServicesOptions = {},
): Promise<Services> {
  const db = openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrate(db);
  if (applied.length > 0) logger.info('database migrated', { applied });
  const metrics = new Metrics();
  const tracing = config.tracing ? startTracing(config.tracing, logger, options.tracing) : undefined;
  const temporal = createTemporalClient(temporalAddress, config.temporal.namespace, tracingClientInterceptors(tracing));
  const events = new EventRepository(db);
  const webhooks = new WebhookRepository(db);
  const automations = new AutomationRepository(db);
  const registry = new AutomationRegistry(automations, logger);
  const gateway = new AutomationGateway(temporal.client, config.temporal.taskQueue, {
    historyEvents: config.temporal.rolloverHistoryEvents,
  });
  const routerRef: { current?: EventRouter } = {};
  const feed = new EventFeed(events, logger);
  const pipeline = new IngestPipeline({
    events,
    limits: { ...DEFAULT_EVENT_LIMITS, maxEventBytes: config.eventMaxBytes },
    mayRoute: (event) => registry.mayRoute(event),
    onRouted: () => routerRef.current?.notify(),
    onStored: () => feed.notify(),
    metrics,
    tracing,
  });
  const router = new EventRouter(
    events,
    registry,
    (target, batch, leaders) => gateway.deliver(target, batch, leaders),
    logger,
    { metrics, tracing },
  );
  routerRef.current = router;
  const automationService = new AutomationService(automations, gateway, registry, pipeline, logger);
  const webhookService = new WebhookService(webhooks, pipeline, config.publicUrl);
  const receiver = new WebhookReceiver(webhooks, pipeline, logger, {
    templateTimeoutMs: config.templateTimeoutMs,
    templateMaxOutputBytes: config.templateMaxOutputBytes,
  });
  const deployments = new DeploymentRepository(db);
  const flowRunRecords = new FlowRunRecords(new FlowRunRepository(db), deployments, pipeline, metrics);
  const flowRunStarter = new FlowRunStarter(
    flowRunRecords,
    deployments,
    temporal.client,
    config.temporal.taskQueue,
    logger,
  );
  const deploymentService = new DeploymentService(deployments, automationService, flowRunStarter);
  const deploymentRunner = new ActionDeploymentRunner(deploymentService, flowRunStarter, flowRunRecords);
  const retention = new EventRetention(events, config.eventRetentionSeconds, logger);
  const apiKey = resolveApiKey({ apiKey: config.apiKey, dataDir: config.dataDir });
  return {
    config,
    logger,
    db,
    temporal,
    apiKey,
    events,
    eventQueries: new EventFilterQueries(db),
    feed,
    webhooks,
    automations,
    pipeline,
    registry,
    router,
    gateway,
    automationService,
    webhookService,
    receiver,
    retention,
    deployments,
    flowRunRecords,
    flowRunStarter,
    deploymentService,
    deploymentRunner,
    metrics,
    tracing,
    close: async () => {
      retention.stop();
      flowRunStarter.stop();
      registry.stop();
      await feed.stop();
      await router.stop();
      await temporal.close();
      await db.close();
      await tracing?.shutdown();
    },
  };
}
