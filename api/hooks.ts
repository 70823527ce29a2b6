// ALL /hooks/:slug — translates a Koa request into a WebhookReceiver call and its outcome into a status. No key is
// needed: the unguessable slug is the credential (plus a signature when the webhook asks for one).
import Router from '@koa/router';
import getRawBody from 'raw-body';
import { answerHandshake } from '../services/webhooks/handshakes';
import { WEBHOOK_METHODS, type WebhookReceiver } from '../services/webhooks/receive';
import { ApiError } from './errors';

const STATUS_CODES = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  503: 'UNAVAILABLE',
} as const;

/** Returns the router of the webhook ingress. */
export function hookRoutes(receiver: WebhookReceiver, maxBodyBytes: number): Router {
  const router = new Router();
  router.all('/hooks/:slug', async (ctx) => {
    const method = ctx.method.toUpperCase();
    if (method === 'OPTIONS') {
      // The CloudEvents webhook handshake, for the webhooks that take part in it; a 405 for the rest.
      const webhook = await receiver.find(ctx.params.slug!);
      const answer = webhook && answerHandshake(webhook, { method, headers: ctx.headers, rawBody: Buffer.alloc(0) });
      if (answer) {
        ctx.set(answer.headers);
        ctx.status = 200;
        ctx.body = answer.body;
        return;
      }
    }
    if (!(WEBHOOK_METHODS as readonly string[]).includes(method)) {
      throw new ApiError('METHOD_NOT_ALLOWED', `webhooks accept ${WEBHOOK_METHODS.join(', ')}`, undefined, {
        headers: { Allow: WEBHOOK_METHODS.join(', ') },
      });
    }
    const webhook = await receiver.find(ctx.params.slug!);
    if (!webhook) throw new ApiError('NOT_FOUND', 'no enabled webhook at this URL');

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
          413,
          `body is larger than the limit of ${maxBodyBytes} bytes`,
        );
        throw new ApiError(
          outcome.status === 204 ? 'PAYLOAD_TOO_LARGE' : STATUS_CODES[outcome.status],
          'message' in outcome ? outcome.message : 'too large',
        );
      }
      throw new ApiError('BAD_REQUEST', `could not read the request body: ${(error as Error).message}`);
    }

    const handshake = webhook.handshakes.length
      ? answerHandshake(webhook, { method, headers: ctx.headers, rawBody })
      : undefined;
    if (handshake) {
      ctx.set(handshake.headers);
      ctx.status = 200;
      ctx.body = handshake.body;
      return;
    }
    const outcome = await receiver.receive(webhook, { method, headers: ctx.headers, rawBody });
    if (outcome.status === 204) {
      ctx.status = 204;
      return;
    }
    throw new ApiError(STATUS_CODES[outcome.status], outcome.message);
  });
  return router;
}
