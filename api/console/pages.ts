// The console's pages of webhooks, automations, deployments and flow runs. They read the services directly; every
// change a page offers is made by the browser through /console/api (the REST API behind the session and CSRF check),
// so the console and the API can never disagree about what a change means.
import Router from '@koa/router';
import type Koa from 'koa';
import type { EventFilterQueries } from '../../db/event-filter-queries';
import { prefectEventFilterSchema } from '../../core/events/prefect-filter';
import { resourceIdFor } from '../../core/resources';
import type { ConsoleServices as Services } from './services';
import { webhookResourceId } from '../../services/webhooks/receive';
import { TripwireError } from '../../core/errors';

/** The new-webhook form's starting template: a GitHub-style sender, to be edited. */
const DEFAULT_TEMPLATE = `{
  "event": "github.{{ headers['x-github-event'] }}",
  "resource": {
    "prefect.resource.id": "github.repo.{{ body.repository.full_name }}"
  },
  "payload": {{ body | tojson }}
}`;

const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED']);

export type PageRenderer = (ctx: Koa.Context, view: string, data: object) => void;

/** Returns the router of the webhook, automation, deployment and flow-run pages. */
export function resourcePages(services: Services, page: PageRenderer, temporalUi: TemporalLinks): Router {
  const router = new Router();
  const notFound = (what: string, id: string) => new TripwireError('NOT_FOUND', `${what} '${id}' not found.`);

  router.get('/webhooks', async (ctx) => {
    page(ctx, 'webhooks.njk', { title: 'Webhooks', nav: 'webhooks', webhooks: await services.webhookService.list() });
  });
  router.get('/webhooks/new', async (ctx) => {
    page(ctx, 'webhook.njk', { title: 'New webhook', nav: 'webhooks', defaultTemplate: DEFAULT_TEMPLATE });
  });
  router.get('/webhooks/:id', async (ctx) => {
    const webhook = await services.webhookService.get(ctx.params.id!);
    if (!webhook) throw notFound('Webhook', ctx.params.id!);
    const sample = await lastRequest(services.eventQueries, webhookResourceId(webhook.id));
    page(ctx, 'webhook.njk', {
      title: webhook.name,
      nav: 'webhooks',
      webhook,
      sample: sample && JSON.stringify(sample),
    });
  });

  router.get('/automations', async (ctx) => {
    const fired = prefectEventFilterSchema().parse({ event: { name: ['prefect.automation.triggered'] } });
    const lastFired = new Map<string, string>();
    for (const event of (await services.eventQueries.page(fired, 500)).events) {
      const id = event.resource['prefect.resource.id'] ?? '';
      if (!lastFired.has(id)) lastFired.set(id, event.occurred);
    }
    const automations = await services.automationService.list();
    page(ctx, 'automations.njk', {
      title: 'Automations',
      nav: 'automations',
      automations: automations.map((a) => ({
        ...a,
        lastFired: lastFired.get(resourceIdFor('automation', a.id)),
      })),
    });
  });
  router.get('/automations/new', (ctx) => {
    page(ctx, 'automation-new.njk', { title: 'New automation', nav: 'automations' });
  });
  router.get('/automations/:id', async (ctx) => {
    const automation = await services.automationService.get(ctx.params.id!);
    if (!automation) throw notFound('Automation', ctx.params.id!);
    let state: unknown;
    let stateError: string | undefined;
    try {
      state = (await services.automationService.state(automation.id))?.workflow ?? null;
    } catch (error) {
      stateError = `the workflow's state could not be read: ${(error as Error).message}`;
    }
    const firings = prefectEventFilterSchema().parse({
      event: { prefix: ['prefect.automation.'] },
      resource: { id: [resourceIdFor('automation', automation.id)] },
    });
    page(ctx, 'automation.njk', {
      title: automation.name,
      nav: 'automations',
      automation,
      definition: JSON.stringify(
        {
          trigger: automation.trigger,
          actions: automation.actions,
          actions_on_trigger: automation.actions_on_trigger,
          actions_on_resolve: automation.actions_on_resolve,
        },
        null,
        2,
      ),
      state: state === undefined ? undefined : JSON.stringify(state, null, 2),
      stateError,
      firings: (await services.eventQueries.page(firings, 50)).events,
      temporal: temporalUi.workflow(automation.workflow_id),
    });
  });

  router.get('/deployments', async (ctx) => {
    const triggers = new Map<string, number>();
    for (const automation of await services.automationService.list()) {
      if (automation.owner_resource) {
        triggers.set(automation.owner_resource, (triggers.get(automation.owner_resource) ?? 0) + 1);
      }
    }
    page(ctx, 'deployments.njk', {
      title: 'Deployments',
      nav: 'deployments',
      deployments: (await services.deploymentService.list()).map((d) => ({
        ...d,
        triggers: triggers.get(resourceIdFor('deployment', d.id)) ?? 0,
      })),
    });
  });
  router.get('/deployments/:name', async (ctx) => {
    const deployment = await services.deploymentService.find(ctx.params.name!);
    if (!deployment) throw notFound('Deployment', ctx.params.name!);
    const [runs, automations] = await Promise.all([
      services.flowRunRecords.list({ deploymentId: deployment.id, limit: 20 }),
      services.automationService.list(resourceIdFor('deployment', deployment.id)),
    ]);
    page(ctx, 'deployment.njk', {
      title: deployment.name,
      nav: 'deployments',
      deployment,
      fields: parameterFields(deployment.parameter_schema, deployment.parameters),
      defaults: JSON.stringify(deployment.parameters, null, 2),
      runs,
      automations,
    });
  });

  router.get('/flow-runs', async (ctx) => {
    const deploymentName = typeof ctx.query.deployment === 'string' ? ctx.query.deployment : '';
    const state = typeof ctx.query.state === 'string' ? ctx.query.state.toUpperCase() : '';
    const deployment = deploymentName ? await services.deploymentService.find(deploymentName) : undefined;
    if (deploymentName && !deployment) throw notFound('Deployment', deploymentName);
    const runs = await services.flowRunRecords.list({
      deploymentId: deployment?.id,
      stateType: state || undefined,
      limit: 200,
    });
    page(ctx, 'flow-runs.njk', {
      title: 'Flow runs',
      nav: 'runs',
      runs,
      q: { deployment: deploymentName, state },
      states: ['SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'],
    });
  });
  router.get('/flow-runs/:id', async (ctx) => {
    const record = await services.flowRunRecords.get(ctx.params.id!);
    if (!record) throw notFound('Flow run', ctx.params.id!);
    // Read from the record, not from the API's view of it (which is growing): the page names only what it shows.
    const run = record;
    const deployment = record.deployment_id ? await services.deployments.get(record.deployment_id) : undefined;
    page(ctx, 'flow-run.njk', {
      title: run.name,
      nav: 'runs',
      run,
      deployment,
      final: FINAL_STATES.has(run.state.type),
      parameters: JSON.stringify(run.parameters, null, 2),
      result: run.state.type === 'COMPLETED' ? JSON.stringify(run.result ?? null, null, 2) : undefined,
      createdBy: run.created_by ? JSON.stringify(run.created_by) : undefined,
      temporal: temporalUi.workflow(record.workflow_id),
    });
  });
  return router;
}

/** Links into the Temporal UI, when its base URL is known. */
export class TemporalLinks {
  constructor(
    private readonly baseUrl: string | undefined,
    private readonly namespace: string,
  ) {}

  workflow(workflowId: string): string | undefined {
    if (!this.baseUrl || !/^https?:\/\//i.test(this.baseUrl)) return undefined;
    const base = this.baseUrl.replace(/\/+$/, '');
    return `${base}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }
}

/** One input of the run form, from a JSON Schema property of a simple type. */
interface ParameterField {
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean';
  title: string;
  description: string;
  value: string;
  checked: boolean;
  required: boolean;
}

/** Returns the form fields of `schema`'s simple properties, or undefined when the schema needs the JSON editor. */
export function parameterFields(
  schema: Record<string, unknown> | null,
  defaults: Record<string, unknown>,
): ParameterField[] | undefined {
  const properties = schema?.properties;
  if (!properties || typeof properties !== 'object') return undefined;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const fields: ParameterField[] = [];
  for (const [name, spec] of Object.entries(properties as Record<string, Record<string, unknown>>)) {
    const type = spec?.type;
    if (type !== 'string' && type !== 'number' && type !== 'integer' && type !== 'boolean') return undefined;
    const value = defaults[name] ?? spec.default;
    fields.push({
      name,
      type,
      title: typeof spec.title === 'string' ? spec.title : name,
      description: typeof spec.description === 'string' ? spec.description : '',
      value: value === undefined || value === null ? '' : text(value),
      checked: value === true,
      required: required.has(name),
    });
  }
  return fields;
}

/** The last request a webhook refused, as a playground sample: failure events carry the request as received. */
async function lastRequest(
  queries: EventFilterQueries,
  resourceId: string,
): Promise<{ method: string; headers: Record<string, string>; body: string } | undefined> {
  const filter = prefectEventFilterSchema().parse({
    event: { name: ['prefect-cloud.webhook.failed'] },
    resource: { id: [resourceId] },
  });
  const [event] = (await queries.page(filter, 1)).events;
  const payload = event?.payload as { method?: unknown; headers?: unknown; body?: unknown } | undefined;
  if (!payload || typeof payload.body !== 'string') return undefined;
  return {
    method: typeof payload.method === 'string' ? payload.method : 'POST',
    headers: (payload.headers ?? {}) as Record<string, string>,
    body: payload.body,
  };
}

/** A scalar as a form shows it; anything else as JSON. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
