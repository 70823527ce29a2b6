// /api/automations — Prefect's automation API: create, list (GET, or Prefect's POST /filter and /count), read, replace,
// pause/resume (PATCH enabled), delete, those related to or owned by a resource, and the state of an automation's
// trigger as its workflow holds it.
import Router from '@koa/router';
import type { AutomationService } from '../services/automations/service';
import { automationInputSchema, automationPatchSchema } from '../core/automations/schema';
import { automationFilterSchema, filterAutomations, relatesTo } from '../services/automations/filter';
import { TripwireError } from '../core/errors';
import { parseWith, readJson, readOptionalJson } from './input';

/** Returns the router of /automations (mounted under /api). */
export function automationRoutes(service: AutomationService): Router {
  const router = new Router({ prefix: '/automations' });
  const found = <T>(value: T | undefined, id: string): T => {
    if (value === undefined) throw new TripwireError('NOT_FOUND', `Automation with id '${id}' not found.`);
    return value;
  };

  router.get('/', async (ctx) => {
    const owner = typeof ctx.query.owner === 'string' ? ctx.query.owner : undefined;
    ctx.body = await service.list(owner);
  });
  router.post('/', async (ctx) => {
    const input = parseWith(automationInputSchema, await readJson(ctx), 'automation');
    ctx.body = await service.create(input);
    ctx.status = 201;
  });
  // Prefect's client lists with POST /filter (no body for all of them) and counts with POST /count.
  router.post('/filter', async (ctx) => {
    const filter = parseWith(automationFilterSchema, await readOptionalJson(ctx), 'automation filter');
    ctx.body = filterAutomations(await service.list(), filter);
  });
  router.post('/count', async (ctx) => {
    ctx.body = (await service.list()).length;
  });
  router.get('/related-to/:resource', async (ctx) => {
    ctx.body = (await service.list()).filter((automation) => relatesTo(automation, ctx.params.resource!));
  });
  router.get('/:id', async (ctx) => {
    ctx.body = found(await service.get(ctx.params.id!), ctx.params.id!);
  });
  router.put('/:id', async (ctx) => {
    const input = parseWith(automationInputSchema, await readJson(ctx), 'automation');
    ctx.body = found(await service.replace(ctx.params.id!, input), ctx.params.id!);
  });
  router.patch('/:id', async (ctx) => {
    const { enabled } = parseWith(automationPatchSchema, await readJson(ctx), 'automation');
    found((await service.setEnabled(ctx.params.id!, enabled)) || undefined, ctx.params.id!);
    ctx.body = await service.get(ctx.params.id!);
  });
  router.delete('/owned-by/:owner', async (ctx) => {
    await service.deleteOwned(ctx.params.owner!);
    ctx.status = 204;
  });
  router.delete('/:id', async (ctx) => {
    found((await service.delete(ctx.params.id!)) || undefined, ctx.params.id!);
    ctx.status = 204;
  });
  router.get('/:id/state', async (ctx) => {
    const { automation, workflow } = found(await service.state(ctx.params.id!), ctx.params.id!);
    ctx.body = {
      automation_id: automation.id,
      name: automation.name,
      enabled: automation.enabled,
      workflow_id: automation.workflow_id,
      running: workflow !== undefined,
      ...(workflow ?? {}),
    };
  });
  return router;
}
