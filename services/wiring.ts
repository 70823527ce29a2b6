// What every tripwire process builds, whatever it runs: the database (migrated), the Temporal client, the ingest
// pipeline, the automation registry and service, deployments and flow runs. Each process's entry adds its own part
// (api/wiring.ts: the HTTP side and the router; worker/wiring.ts: what the activities need), so a process builds only
// what it uses.
import type { Config } from './config/env';
import { AutomationRegistry } from './automations/registry';
import { AutomationService } from './automations/service';
import { AutomationGateway } from './automations/gateway';
import { AutomationRepository } from '../db/automations';
import { type Db, openDb } from '../db/connect';
import { EventRepository } from '../db/events';
import { migrate } from '../db/migrations';
import { DeploymentRepository } from '../db/deployments';
import { FlowRunRepository } from '../db/flow-runs';
import { DeploymentService } from './deployments/deployment-service';
import { FlowRunRecords } from './deployments/flow-run-records';
import { FlowRunStarter } from './deployments/flow-run-starter';
import { FlowChecks } from './deployments/flow-check';
import { projectRoot } from './config/project-root';
import path from 'node:path';
import { DEFAULT_EVENT_LIMITS } from '../core/events/schema';
import { IngestPipeline } from './events/pipeline';
import type { Logger } from './logging/logger';
import { createTemporalClient, type TemporalHandle } from './temporal/client';
import { Metrics } from './metrics/metrics';
import { startTracing, type Tracing, type TracingOptions } from './tracing/tracing';
import { tracingClientInterceptors } from './tracing/temporal-client';
import { AUTOMATIONS_CHANNEL, DbNotifications } from './replicas/notifications';

export interface CoreServices {
  config: Config;
  logger: Logger;
  db: Db;
  temporal: TemporalHandle;
  events: EventRepository;
  automations: AutomationRepository;
  pipeline: IngestPipeline;
  registry: AutomationRegistry;
  gateway: AutomationGateway;
  automationService: AutomationService;
  deployments: DeploymentRepository;
  flowRunRecords: FlowRunRecords;
  flowRunStarter: FlowRunStarter;
  deploymentService: DeploymentService;
  metrics: Metrics;
  /** Undefined when tracing is off (the default). */
  tracing: Tracing | undefined;
  /**
   * PostgreSQL only: wake-ups between the processes sharing the database (several api processes, the workers). The
   * registry reloads when another process changed the automations; api/wiring.ts and worker/wiring.ts use it for the
   * outbox. Undefined on SQLite, which serves one process.
   */
  notifications: DbNotifications | undefined;
  /** Stops what runs in the background and closes the connections; a process's own parts close first. */
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  /** Tracing's options when config.tracing turns it on (the tests' in-memory exporter). */
  tracing?: TracingOptions;
}

/** Opens the database (applying migrations) and builds the shared services; starts nothing in the background. */
export async function openCoreServices(
  config: Config,
  logger: Logger,
  temporalAddress: string,
  options: OpenServicesOptions = {},
): Promise<CoreServices> {
  const db = openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrate(db);
  if (applied.length > 0) logger.info('database migrated', { applied });
  const metrics = new Metrics();
  const tracing = config.tracing ? startTracing(config.tracing, logger, options.tracing) : undefined;
  const temporal = createTemporalClient(temporalAddress, config.temporal.namespace, tracingClientInterceptors(tracing));
  const events = new EventRepository(db);
  const automations = new AutomationRepository(db);
  const registry = new AutomationRegistry(automations, logger);
  const gateway = new AutomationGateway(temporal.client, config.temporal.taskQueue, {
    historyEvents: config.temporal.rolloverHistoryEvents,
  });
  const pipeline = new IngestPipeline({
    events,
    limits: { ...DEFAULT_EVENT_LIMITS, maxEventBytes: config.eventMaxBytes },
    mayRoute: (event) => registry.mayRoute(event),
    metrics,
    tracing,
  });
  const notifications = config.databaseUrl ? new DbNotifications(config.databaseUrl, logger) : undefined;
  notifications?.listen(AUTOMATIONS_CHANNEL, () => {
    registry.refresh().catch(() => undefined); // the registry's own poll reports failures
  });
  const automationService = new AutomationService(automations, gateway, registry, pipeline, logger);
  const deployments = new DeploymentRepository(db);
  const flowRunRecords = new FlowRunRecords(new FlowRunRepository(db), deployments, pipeline, {
    resultMaxBytes: config.flowRuns.resultMaxBytes,
    metrics,
  });
  const flowRunStarter = new FlowRunStarter(
    flowRunRecords,
    deployments,
    temporal.client,
    config.temporal.taskQueue,
    logger,
    { lateAfterSeconds: config.flowRuns.lateAfterSeconds, resultMaxBytes: config.flowRuns.resultMaxBytes },
  );
  const flowChecks = new FlowChecks({ nodeModules: path.join(projectRoot(), 'node_modules'), logger });
  return {
    config,
    logger,
    db,
    temporal,
    events,
    automations,
    pipeline,
    registry,
    gateway,
    automationService,
    deployments,
    flowRunRecords,
    flowRunStarter,
    deploymentService: new DeploymentService(deployments, automationService, flowRunStarter, flowChecks),
    metrics,
    tracing,
    notifications,
    close: async () => {
      automationService.stop();
      flowRunStarter.stop();
      registry.stop();
      await notifications?.close();
      await temporal.close();
      await db.close();
      await tracing?.shutdown();
    },
  };
}
