// The ingress core behind /hooks/:slug, free of Koa: verify → parse the body → render the template → complete the
// event(s) → ingest. Every refusal after the slug is known also becomes a `prefect-cloud.webhook.failed` event, so
// an operator sees in the feed why a sender was refused.
import type { WebhookRecord, WebhookRepository } from '../../db/webhooks';
import type { Event } from '../../core/events/schema';
import { exceedsJsonDepth, MAX_JSON_DEPTH, tooDeepMessage } from '../../core/json-depth';
import {
  EventStoreUnavailableError,
  EventValidationError,
  type IngestPipeline,
  type OwnEvent,
} from '../events/pipeline';
import { type ErrorCode, ERROR_STATUS, TripwireError } from '../../core/errors';
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

/** Why a request for a known webhook was refused (a metric's label); REFUSAL_CODE gives each its error code. */
export type WebhookRefusal = Exclude<WebhookOutcome, 'accepted' | 'not_found' | 'method_not_allowed'>;

const REFUSAL_CODE = {
  signature_refused: 'UNAUTHORIZED',
  bad_body: 'BAD_REQUEST',
  too_large: 'PAYLOAD_TOO_LARGE',
  template_error: 'BAD_REQUEST',
  invalid_event: 'BAD_REQUEST',
  unavailable: 'UNAVAILABLE',
} as const satisfies Record<WebhookRefusal, ErrorCode>;

const STORE_UNAVAILABLE = 'tripwire cannot store events right now; nothing was accepted, retry later';

/** Thrown when a sender's request is refused; `refusal` says why, the code how it is answered. */
export class WebhookRefused extends TripwireError {
  constructor(
    readonly refusal: WebhookRefusal,
    message: string,
    cause?: unknown,
  ) {
    super(REFUSAL_CODE[refusal], message, undefined, { cause });
    this.name = 'WebhookRefused';
  }
}

/** Why a preview produced no events: the step that failed, its message, and the rendered text when there was one. */
export interface PreviewFailure {
  ok: false;
  stage: 'body' | 'render' | 'json' | 'validate';
  reason: string;
  rendered?: string;
  line?: number;
  column?: number;
}

export type PreviewOutcome = { ok: true; rendered: string; events: Event[] } | PreviewFailure;

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

  /**
   * Processes one request for `webhook`; resolves with the events once every one is durable. A refusal of the
   * sender's input is thrown as a TripwireError (BAD_REQUEST, UNAUTHORIZED; UNAVAILABLE when nothing can be stored),
   * after its failure event is recorded; anything else thrown is a bug.
   */
  async receive(webhook: WebhookRecord, request: IncomingRequest): Promise<Event[]> {
    const header = (name: string) => firstHeader(request.headers, name);
    if (webhook.verification) {
      try {
        verifySignature(webhook.verification, header, request.rawBody);
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        throw await this.refuse(
          webhook,
          request,
          'signature_refused',
          `signature verification failed: ${error.message}`,
        );
      }
    }

    const rendered = this.render(webhook, request);
    if (!rendered.ok) {
      const refusal = rendered.stage === 'body' ? 'bad_body' : 'template_error';
      throw await this.refuse(webhook, request, refusal, rendered.reason, rendered.rendered);
    }
    const completed = rendered.candidates;
    try {
      const events = this.pipeline.validate(completed, completed.length > 1);
      await this.pipeline.store(events);
      return events;
    } catch (error) {
      if (error instanceof EventValidationError) {
        throw await this.refuse(
          webhook,
          request,
          'invalid_event',
          `the rendered event is invalid: ${error.issues.map(formatIssue).join('; ')}`,
          rendered.text,
        );
      }
      if (error instanceof EventStoreUnavailableError) {
        this.logger.error('webhook event not stored', { webhook: webhook.id, error: error.message });
        throw new WebhookRefused('unavailable', STORE_UNAVAILABLE, error);
      }
      throw error;
    }
  }

  /**
   * Renders `request` through `webhook`'s template and validates the events as receive() would, storing nothing and
   * skipping signature verification: the template playground and `tripwire webhook preview` use it.
   */
  preview(webhook: Pick<WebhookRecord, 'id' | 'name' | 'template'>, request: IncomingRequest): PreviewOutcome {
    const rendered = this.render(webhook, request);
    if (!rendered.ok) return rendered;
    try {
      const events = this.pipeline.validate(rendered.candidates, rendered.candidates.length > 1);
      return { ok: true, rendered: rendered.text, events };
    } catch (error) {
      if (!(error instanceof EventValidationError)) throw error;
      return {
        ok: false,
        stage: 'validate',
        reason: `the rendered event is invalid: ${error.issues.map(formatIssue).join('; ')}`,
        rendered: rendered.text,
      };
    }
  }

  /** Parses the body, renders the template and completes the events, or says which step failed and why. */
  private render(
    webhook: Pick<WebhookRecord, 'id' | 'name' | 'template'>,
    request: IncomingRequest,
  ): { ok: true; text: string; candidates: Record<string, unknown>[] } | PreviewFailure {
    const header = (name: string) => firstHeader(request.headers, name);
    let body: unknown;
    try {
      body = parseBody(request.rawBody, header('content-type'));
    } catch (error) {
      if (!(error instanceof BodyParseError)) throw error;
      return { ok: false, stage: 'body', reason: error.message };
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
      return {
        ok: false,
        stage: 'render',
        reason: `the webhook's template failed to render: ${error.message}`,
        ...(error.line !== undefined ? { line: error.line, column: error.column ?? 0 } : {}),
      };
    }

    let output: unknown;
    try {
      output = JSON.parse(rendered);
    } catch (error) {
      const reason = `the template did not render JSON: ${(error as Error).message}`;
      return { ok: false, stage: 'json', reason, rendered };
    }
    if (exceedsJsonDepth(rendered, MAX_JSON_DEPTH)) {
      return { ok: false, stage: 'json', reason: tooDeepMessage('the JSON the template rendered'), rendered };
    }
    const candidates = Array.isArray(output) ? output : [output];
    if (candidates.length === 0 || candidates.some((c) => c === null || typeof c !== 'object' || Array.isArray(c))) {
      const reason = 'the template must render a JSON object (or an array of objects)';
      return { ok: false, stage: 'json', reason, rendered };
    }
    const defaults = { method: request.method.toUpperCase(), headers, body };
    return {
      ok: true,
      text: rendered,
      candidates: candidates.map((c) => completeEvent(c as Record<string, unknown>, webhook, defaults)),
    };
  }

  /** Records a refusal as a failure event and returns the error to answer with. */
  async refuse(
    webhook: WebhookRecord,
    request: IncomingRequest,
    refusal: Exclude<WebhookRefusal, 'unavailable'>,
    reason: string,
    rendered?: string,
  ): Promise<WebhookRefused> {
    const status = ERROR_STATUS[REFUSAL_CODE[refusal]];
    const failure: OwnEvent = {
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
      await this.pipeline.emit([failure]);
    } catch (error) {
      if (error instanceof EventStoreUnavailableError) {
        return new WebhookRefused('unavailable', STORE_UNAVAILABLE, error);
      }
      // A failure event too large to store must not hide the refusal itself.
      this.logger.warn('webhook failure event not stored', { webhook: webhook.id, error: (error as Error).message });
    }
    return new WebhookRefused(refusal, reason);
  }
}

/** Fills what Prefect Cloud fills: the webhook as a related resource, and a payload of the request when absent. */
function completeEvent(
  candidate: Record<string, unknown>,
  webhook: Pick<WebhookRecord, 'id' | 'name'>,
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
