// /api/webhooks — management of webhooks. Template syntax errors are 422s that say where (the service throws them);
// nothing is saved then.
import Router from '@koa/router';
import { createWebhookSchema, patchWebhookSchema, replaceWebhookSchema } from '../services/webhooks/schema';
import type { WebhookService } from '../services/webhooks/service';
import { TripwireError } from '../core/errors';
import { parseWith, readJson } from './input';

/** Returns the router of /webhooks (mounted under /api). */
export function webhookRoutes(service: WebhookService): Router {
  const router = new Router({ prefix: '/webhooks' });
  const notFound = (id: string) => new TripwireError('NOT_FOUND', `Webhook with id '${id}' not found.`);
  const found = <T>(value: T | undefined, id: string): T => {
    if (value === undefined) throw notFound(id);
    return value;
  };

  router.get('/', async (ctx) => {
    ctx.body = await service.list();
  });
  router.post('/', async (ctx) => {
    const input = parseWith(createWebhookSchema, await readJson(ctx), 'webhook');
    ctx.body = await service.create(input);
    ctx.status = 201;
  });
  router.get('/:id', async (ctx) => {
    ctx.body = found(await service.get(ctx.params.id!), ctx.params.id!);
  });
  router.put('/:id', async (ctx) => {
    const input = parseWith(replaceWebhookSchema, await readJson(ctx), 'webhook');
    ctx.body = found(await service.update(ctx.params.id!, input, true), ctx.params.id!);
  });
  router.patch('/:id', async (ctx) => {
    const input = parseWith(patchWebhookSchema, await readJson(ctx), 'webhook');
    ctx.body = found(await service.update(ctx.params.id!, input), ctx.params.id!);
  });
  router.post('/:id/rotate', async (ctx) => {
    ctx.body = found(await service.rotate(ctx.params.id!), ctx.params.id!);
  });
  router.delete('/:id', async (ctx) => {
    if (!(await service.delete(ctx.params.id!))) throw notFound(ctx.params.id!);
    ctx.status = 204;
  });
  return router;
}
