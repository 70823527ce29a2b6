// Subscription handshakes some senders make before they deliver anything, answered by the webhook itself when it
// lists them (WebhookRecord.handshakes): otherwise these requests would become events (or failures) and the sender
// would never subscribe. None of them produces an event.
// - Azure Event Grid (its own schema): a POST with `aeg-event-type: SubscriptionValidation` whose body holds a
//   Microsoft.EventGrid.SubscriptionValidationEvent; the answer echoes `data.validationCode` as `validationResponse`.
// - CloudEvents webhooks (Event Grid's CloudEvents schema, among others): an OPTIONS request with
//   `WebHook-Request-Origin`; the answer allows that origin in `WebHook-Allowed-Origin`.
// - Slack's Events API: a POST of `{"type": "url_verification", "challenge": …}`; the answer echoes the challenge.
import type { WebhookRecord } from '../../db/webhooks';
import type { IncomingRequest } from './receive';

export interface HandshakeAnswer {
  status: 200;
  headers: Record<string, string>;
  body: Record<string, string> | '';
}

/** Longest challenge or code echoed back; real ones are tens of characters. */
const MAX_ECHO = 1024;

/** Returns the answer to `request` when it is a handshake `webhook` takes part in, else undefined. */
export function answerHandshake(
  webhook: Pick<WebhookRecord, 'handshakes'>,
  request: IncomingRequest,
): HandshakeAnswer | undefined {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const method = request.method.toUpperCase();
  const has = (name: WebhookRecord['handshakes'][number]) => webhook.handshakes.includes(name);

  if (method === 'OPTIONS') {
    const origin = header('webhook-request-origin');
    if (!has('cloudevents') || !origin || origin.length > MAX_ECHO) return undefined;
    return {
      status: 200,
      headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*', Allow: 'POST, OPTIONS' },
      body: '',
    };
  }
  if (method !== 'POST') return undefined;

  if (has('event-grid') && header('aeg-event-type')?.toLowerCase() === 'subscriptionvalidation') {
    const [event] = asArray(parseJson(request.rawBody));
    const code = (event as { data?: { validationCode?: unknown } } | undefined)?.data?.validationCode;
    const type = (event as { eventType?: unknown } | undefined)?.eventType;
    if (type === 'Microsoft.EventGrid.SubscriptionValidationEvent' && isEcho(code)) {
      return { status: 200, headers: {}, body: { validationResponse: code } };
    }
    return undefined;
  }

  if (has('slack')) {
    const body = parseJson(request.rawBody) as { type?: unknown; challenge?: unknown } | undefined;
    if (body?.type === 'url_verification' && isEcho(body.challenge)) {
      return { status: 200, headers: {}, body: { challenge: body.challenge } };
    }
  }
  return undefined;
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0 || raw.length > 64 * 1024) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function isEcho(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ECHO;
}
