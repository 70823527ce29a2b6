// ALL /hooks/:slug — translates a Koa request into a WebhookReceiver call and its outcome into a status. No key is
// needed: the unguessable slug is the credential (plus a signature when the webhook asks for one).
import Router from '@koa/router';
import getRawBody from 'raw-body';
import { WEBHOOK_METHODS, type WebhookReceiver } from '../services/webhooks/receive';
import type { Metrics, WebhookOutcome } from '../services/metrics/metrics';
import { ApiError } from './errors';

const STATUS_CODES = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  503: 'UNAVAILABLE',
} as const;

/** Returns the router of the webhook ingress; `metrics` counts each request's outcome. */
export function hookRoutes(
  receiver: WebhookReceiver,
  maxBodyBytes: number,
  metrics?: Pick<Metrics, 'webhookRequests'>,
): Router {
  const count = (outcome: WebhookOutcome) => metrics?.webhookRequests.inc({ outcome });
  const router = new Router();
  router.all('/hooks/:slug', async (ctx) => {
    const method = ctx.method.toUpperCase();
    if (!(WEBHOOK_METHODS as readonly string[]).includes(method)) {
      count('method_not_allowed');
      throw new ApiError('METHOD_NOT_ALLOWED', `webhooks accept ${WEBHOOK_METHODS.join(', ')}`, undefined, {
        headers: { Allow: WEBHOOK_METHODS.join(', ') },
      });
    }
    const webhook = await receiver.find(ctx.params.slug!);
    if (!webhook) {
      count('not_found');
      throw new ApiError('NOT_FOUND', 'no enabled webhook at this URL');
    }

    let rawBody: Buffer;
    try {
      rawBody = await getRawBody(ctx.req, { limit: maxBodyBytes, length: ctx.get('content-length') || undefined });
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type === 'entity.too.large') {
        ctx.req.resume();
        const outcome = await receiver.refuse(
          webhook,
          { method, headers: ctx.headers, rawBody: Buffer.alloc(0) },
          'too_large',
          `body is larger than the limit of ${maxBodyBytes} bytes`,
        );
        count('refusal' in outcome ? outcome.refusal : 'too_large');
        throw new ApiError(
          outcome.status === 204 ? 'PAYLOAD_TOO_LARGE' : STATUS_CODES[outcome.status],
          'message' in outcome ? outcome.message : 'too large',
        );
      }
      count('bad_body');
      throw new ApiError('BAD_REQUEST', `could not read the request body: ${(error as Error).message}`);
    }

    const outcome = await receiver.receive(webhook, { method, headers: ctx.headers, rawBody });
    if (outcome.status === 204) {
      count('accepted');
      ctx.status = 204;
      return;
    }
    count(outcome.refusal);
    throw new ApiError(STATUS_CODES[outcome.status], outcome.message);
  });
  return router;
}
