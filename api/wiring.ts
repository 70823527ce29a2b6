// What the api process adds to the shared services: the API key, the webhook receiver and management, the event
// feed and queries, the router that drains the outbox into the trigger workflows, and event retention.
import { resolveApiKey } from '../services/config/api-key';
import { EventFilterQueries } from '../db/event-filter-queries';
import { WebhookRepository } from '../db/webhooks';
import { LeaseRepository } from '../db/leases';
import { EventRouter } from '../services/automations/router';
import { Lease, processOwnerId } from '../services/replicas/lease';
import { OUTBOX_CHANNEL } from '../services/replicas/notifications';
import { EventFeed } from '../services/events/event-feed';
import { EventRetention } from '../services/events/retention';
import { WebhookReceiver } from '../services/webhooks/receive';
import { WebhookService } from '../services/webhooks/service';
import type { CoreServices } from '../services/wiring';

export interface ApiParts {
  apiKey: { key: string; generated: boolean };
  /** Prefect's EventFilter queries over the events. */
  eventQueries: EventFilterQueries;
  /** New events as they are stored, for live subscribers. */
  feed: EventFeed;
  router: EventRouter;
  webhooks: WebhookRepository;
  webhookService: WebhookService;
  receiver: WebhookReceiver;
  retention: EventRetention;
}

export type ApiServices = CoreServices & ApiParts;

/** Adds the api process's parts to `core`; starts nothing in the background. */
export function withApiParts<T extends CoreServices>(core: T): T & ApiParts {
  const { config, logger, db, events, pipeline } = core;
  const feed = new EventFeed(events, logger);
  // On PostgreSQL, several api processes may share the outbox: one routes at a time (the holder of the router's
  // lease), and the others announce what they stored to it. SQLite serves one process, which always routes.
  const { notifications } = core;
  const router = new EventRouter(
    events,
    core.registry,
    (target, batch, leaders) => core.gateway.deliver(target, batch, leaders),
    logger,
    {
      metrics: core.metrics,
      tracing: core.tracing,
      ...(notifications && {
        gate: new Lease(new LeaseRepository(db), 'router', processOwnerId(), logger, { ttlMs: config.routerLeaseMs }),
        elsewhere: () => notifications.notify(OUTBOX_CHANNEL),
      }),
    },
  );
  notifications?.listen(OUTBOX_CHANNEL, () => router.wake());
  pipeline.whenRouted(() => router.notify());
  pipeline.whenStored(() => feed.notify());
  const webhooks = new WebhookRepository(db);
  const retention = new EventRetention(events, config.eventRetentionSeconds, logger);
  return {
    ...core,
    apiKey: resolveApiKey({ apiKey: config.apiKey, dataDir: config.dataDir }),
    eventQueries: new EventFilterQueries(db),
    feed,
    router,
    webhooks,
    webhookService: new WebhookService(webhooks, pipeline, config.publicUrl),
    receiver: new WebhookReceiver(webhooks, pipeline, logger, {
      templateTimeoutMs: config.templateTimeoutMs,
      templateMaxOutputBytes: config.templateMaxOutputBytes,
    }),
    retention,
    close: async () => {
      retention.stop();
      await feed.stop();
      await router.stop();
      await core.close();
    },
  };
}
