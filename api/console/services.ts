// The services the console reads and changes: the same objects the REST routes use, named here so the console
// depends on the services, not on the api process's wiring that mounts it.
import type { EventFilterQueries } from '../../db/event-filter-queries';
import type { CoreServices } from '../../services/wiring';
import type { WebhookService } from '../../services/webhooks/service';

export type ConsoleServices = Pick<
  CoreServices,
  'config' | 'automationService' | 'deploymentService' | 'deployments' | 'events' | 'flowRunRecords'
> & {
  apiKey: { key: string; generated: boolean };
  eventQueries: EventFilterQueries;
  webhookService: WebhookService;
};
