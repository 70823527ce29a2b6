// ALL /hooks/:slug — translates a Koa request into a WebhookReceiver call: 204 once its events are durable; a
// refusal is the receiver's TripwireError, answered by the one error boundary. No key is needed: the unguessable
// slug is the credential (plus a signature when the webhook asks for one).
import Router from '@koa/router';
import getRawBody from 'raw-body';
import { answerHandshake } from '../services/webhooks/handshakes';
import { WEBHOOK_METHODS, type WebhookReceiver, WebhookRefused } from '../services/webhooks/receive';
import { TripwireError } from '../core/errors';
import type { Metrics, WebhookOutcome } from '../services/metrics/metrics';

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
      count('method_not_allowed');
      throw new TripwireError('METHOD_NOT_ALLOWED', `webhooks accept ${WEBHOOK_METHODS.join(', ')}`, undefined, {
        headers: { Allow: WEBHOOK_METHODS.join(', ') },
      });
    }
    const webhook = await receiver.find(ctx.params.slug!);
    if (!webhook) {
      count('not_found');
      throw new TripwireError('NOT_FOUND', 'no enabled webhook at this URL');
    }

    let rawBody: Buffer;
    try {
      rawBody = await getRawBody(ctx.req, { limit: maxBodyBytes, length: ctx.get('content-length') || undefined });
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type === 'entity.too.large') {
        ctx.req.resume();
        const refused = await receiver.refuse(
          webhook,
          { method, headers: ctx.headers, rawBody: Buffer.alloc(0) },
          'too_large',
          `body is larger than the limit of ${maxBodyBytes} bytes`,
        );
        count(refused.refusal);
        throw refused;
      }
      count('bad_body');
      throw new TripwireError('BAD_REQUEST', `could not read the request body: ${(error as Error).message}`);
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
    try {
      await receiver.receive(webhook, { method, headers: ctx.headers, rawBody });
    } catch (error) {
      if (error instanceof WebhookRefused) count(error.refusal);
      throw error;
    }
    count('accepted');
    ctx.status = 204;
  });
  return router;
}
