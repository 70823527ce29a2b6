// /api/webhooks — management of webhooks. Template syntax errors are 422s that say where (the service throws them);
// nothing is saved then.
import Router from '@koa/router';
import type { WebhookReceiver } from '../services/webhooks/receive';
import {
  createWebhookSchema,
  patchWebhookSchema,
  previewRequestSchema,
  replaceWebhookSchema,
} from '../services/webhooks/schema';
import type { WebhookService } from '../services/webhooks/service';
import { TripwireError } from '../core/errors';
import { parseWith, readJson } from './input';

/** Returns the router of /webhooks (mounted under /api). */
export function webhookRoutes(service: WebhookService, receiver: WebhookReceiver): Router {
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
  // Renders a sample request through a template and validates the events; stores nothing, so it is safe to repeat.
  router.post('/preview', async (ctx) => {
    const input = parseWith(previewRequestSchema, await readJson(ctx), 'preview');
    if (input.template === undefined) {
      throw new TripwireError('UNPROCESSABLE', 'invalid preview', [
        { path: 'template', message: 'template is required' },
      ]);
    }
    const webhook = { id: '00000000-0000-0000-0000-000000000000', name: 'preview', template: input.template };
    ctx.body = receiver.preview(webhook, sampleRequest(input.request));
  });
  router.post('/:id/preview', async (ctx) => {
    const input = parseWith(previewRequestSchema, await readJson(ctx), 'preview');
    const webhook = found(await service.get(ctx.params.id!), ctx.params.id!);
    const template = input.template ?? webhook.template;
    ctx.body = receiver.preview({ ...webhook, template }, sampleRequest(input.request));
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

function sampleRequest(request: { method: string; headers: Record<string, string>; body: string }) {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: request.method, headers, rawBody: Buffer.from(request.body, 'utf8') };
}
