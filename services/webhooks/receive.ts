// The ingress core behind /hooks/:slug, free of Koa: verify → parse the body → render the template → complete the
// event(s) → ingest. Every refusal after the slug is known also becomes a `prefect-cloud.webhook.failed` event, so
// an operator sees in the feed why a sender was refused.
import type { WebhookRecord, WebhookRepository } from '../../db/webhooks';
import type { Event } from '../../core/events/schema';
import { EventStoreUnavailableError, EventValidationError, type IngestPipeline } from '../events/pipeline';
import type { Logger } from '../logging/logger';
import type { WebhookOutcome } from '../metrics/metrics';
import { caseInsensitiveHeaders } from '../../templates/headers';
import { renderTemplate, TemplateError } from '../../templates/render';
import { BodyParseError, parseBody } from './body';
import { SignatureError, verifySignature } from './verify';

export const WEBHOOK_METHODS = ['GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'PATCH'] as const;

export interface IncomingRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

/** Why a request for a known webhook was refused; each has its status (REFUSAL_STATUS). */
export type WebhookRefusal = Exclude<WebhookOutcome, 'accepted' | 'not_found' | 'method_not_allowed'>;

const REFUSAL_STATUS = {
  signature_refused: 401,
  bad_body: 400,
  too_large: 413,
  template_error: 400,
  invalid_event: 400,
  unavailable: 503,
} as const satisfies Record<WebhookRefusal, number>;

/** What the HTTP adapter answers: 204 alone means every produced event is durable. */
export type ReceiveOutcome =
  | { status: 204; events: Event[] }
  | { status: (typeof REFUSAL_STATUS)[WebhookRefusal]; message: string; refusal: WebhookRefusal };

const UNAVAILABLE: ReceiveOutcome = {
  status: 503,
  message: 'tripwire cannot store events right now; nothing was accepted, retry later',
  refusal: 'unavailable',
};

export interface ReceiverOptions {
  templateTimeoutMs: number;
  templateMaxOutputBytes: number;
}

/** Returns the webhook's resource id, as Prefect Cloud names it. */
export function webhookResourceId(webhookId: string): string {
  return `prefect-cloud.webhook.${webhookId}`;
}

/** Turns HTTP requests into events for the webhooks stored in `webhooks`. */
export class WebhookReceiver {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly pipeline: IngestPipeline,
    private readonly logger: Logger,
    private readonly options: ReceiverOptions,
  ) {}

  /** Returns the enabled webhook behind `slug`, or undefined (unknown and disabled slugs look the same). */
  async find(slug: string): Promise<WebhookRecord | undefined> {
    const webhook = await this.webhooks.getBySlug(slug);
    return webhook?.enabled ? webhook : undefined;
  }

  /** Processes one request for `webhook`. Never throws for bad input; rejects only on unexpected bugs. */
  async receive(webhook: WebhookRecord, request: IncomingRequest): Promise<ReceiveOutcome> {
    const header = (name: string) => firstHeader(request.headers, name);
    if (webhook.verification) {
      try {
        verifySignature(webhook.verification, header, request.rawBody);
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        return this.refuse(webhook, request, 'signature_refused', `signature verification failed: ${error.message}`);
      }
    }

    let body: unknown;
    try {
      body = parseBody(request.rawBody, header('content-type'));
    } catch (error) {
      if (!(error instanceof BodyParseError)) throw error;
      return this.refuse(webhook, request, 'bad_body', error.message);
    }

    const headers = templateHeaders(request.headers);
    let rendered: string;
    try {
      rendered = renderTemplate(
        webhook.template,
        { method: request.method.toUpperCase(), headers: caseInsensitiveHeaders(headers), body },
        { timeoutMs: this.options.templateTimeoutMs, maxOutputBytes: this.options.templateMaxOutputBytes },
      );
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return this.refuse(
        webhook,
        request,
        'template_error',
        `the webhook's template failed to render: ${error.message}`,
      );
    }

    let output: unknown;
    try {
      output = JSON.parse(rendered);
    } catch (error) {
      return this.refuse(
        webhook,
        request,
        'template_error',
        `the template did not render JSON: ${(error as Error).message}`,
        rendered,
      );
    }
    const candidates = Array.isArray(output) ? output : [output];
    if (candidates.length === 0 || candidates.some((c) => c === null || typeof c !== 'object' || Array.isArray(c))) {
      return this.refuse(
        webhook,
        request,
        'template_error',
        'the template must render a JSON object (or an array of objects)',
        rendered,
      );
    }

    const defaults = { method: request.method.toUpperCase(), headers, body };
    const completed = candidates.map((candidate) =>
      completeEvent(candidate as Record<string, unknown>, webhook, defaults),
    );
    try {
      const events = this.pipeline.validate(completed, completed.length > 1);
      await this.pipeline.store(events);
      return { status: 204, events };
    } catch (error) {
      if (error instanceof EventValidationError) {
        return this.refuse(
          webhook,
          request,
          'invalid_event',
          `the rendered event is invalid: ${error.issues.map(formatIssue).join('; ')}`,
          rendered,
        );
      }
      if (error instanceof EventStoreUnavailableError) {
        this.logger.error('webhook event not stored', { webhook: webhook.id, error: error.message });
        return UNAVAILABLE;
      }
      throw error;
    }
  }

  /** Records a refusal as a failure event and returns the outcome to answer with. */
  async refuse(
    webhook: WebhookRecord,
    request: IncomingRequest,
    refusal: Exclude<WebhookRefusal, 'unavailable'>,
    reason: string,
    rendered?: string,
  ): Promise<ReceiveOutcome> {
    const status = REFUSAL_STATUS[refusal];
    const failure: Event = {
      id: '',
      occurred: new Date().toISOString(),
      event: 'prefect-cloud.webhook.failed',
      resource: { 'prefect.resource.id': webhookResourceId(webhook.id), 'prefect.resource.name': webhook.name },
      related: [],
      payload: {
        method: request.method.toUpperCase(),
        headers: templateHeaders(request.headers),
        body: status === 413 ? `[${request.rawBody.length}+ bytes, over the limit]` : request.rawBody.toString('utf8'),
        ...(rendered !== undefined ? { rendered } : {}),
        status,
        reason,
      },
      follows: null,
    };
    try {
      const [valid] = this.pipeline.validate([{ ...failure, id: undefined }], false);
      await this.pipeline.store([valid!]);
    } catch (error) {
      if (error instanceof EventStoreUnavailableError) return UNAVAILABLE;
      // A failure event too large to store must not hide the refusal itself.
      this.logger.warn('webhook failure event not stored', { webhook: webhook.id, error: (error as Error).message });
    }
    return { status, message: reason, refusal };
  }
}

/** Fills what Prefect Cloud fills: the webhook as a related resource, and a payload of the request when absent. */
function completeEvent(
  candidate: Record<string, unknown>,
  webhook: WebhookRecord,
  defaults: { method: string; headers: Record<string, string>; body: unknown },
): Record<string, unknown> {
  const related: unknown = Array.isArray(candidate.related)
    ? [...(candidate.related as unknown[])]
    : candidate.related === undefined
      ? []
      : candidate.related;
  const webhookResource = {
    'prefect.resource.id': webhookResourceId(webhook.id),
    'prefect.resource.role': 'webhook',
    'prefect.resource.name': webhook.name,
  };
  return {
    ...candidate,
    related: Array.isArray(related) ? [...(related as unknown[]), webhookResource] : related,
    payload: candidate.payload === undefined ? defaults : candidate.payload,
  };
}

/** The request's headers as the template sees them: lower-cased, joined, without Authorization. */
function templateHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const key = name.toLowerCase();
    if (key === 'authorization' || value === undefined) continue;
    headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function firstHeader(raw: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = raw[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function formatIssue(issue: { path: string; message: string }): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}
