// Webhook management: templates are checked before anything is saved, slugs are assigned (128 random bits), and every
// change is recorded as an audit event. Secrets leave tripwire only in the response that created them.
import crypto from 'node:crypto';
import type { WebhookRecord, WebhookRepository, WebhookVerification } from '../../db/webhooks';
import type { IngestPipeline, OwnEvent } from '../events/pipeline';
import { TemplateError, validateTemplate } from '../../templates/render';
import { webhookResourceId } from './receive';
import type { CreateWebhookInput, PatchWebhookInput, VerificationInput } from './schema';
import { TripwireError } from '../../core/errors';

/** A webhook as the API shows it: its URL, and its verification without the secret. */
export interface WebhookView extends Omit<WebhookRecord, 'verification'> {
  url: string;
  verification: (Omit<WebhookVerification, 'secret'> & { secret?: string }) | null;
}

/** Returns a fresh slug: 16 random bytes, URL-safe (22 characters), like Prefect Cloud's. */
export function newSlug(): string {
  return crypto.randomBytes(16).toString('base64url');
}

/** Creates, changes and removes webhooks. A template that does not compile is refused with UNPROCESSABLE. */
export class WebhookService {
  constructor(
    private readonly repository: WebhookRepository,
    private readonly pipeline: IngestPipeline,
    private readonly publicUrl: string,
  ) {}

  async list(): Promise<WebhookView[]> {
    return (await this.repository.list()).map((w) => this.view(w));
  }

  async get(id: string): Promise<WebhookView | undefined> {
    const webhook = await this.repository.get(id);
    return webhook && this.view(webhook);
  }

  /** Creates a webhook; the returned view carries the verification secret, the only time it is shown. */
  async create(input: Omit<CreateWebhookInput, 'handshakes'> & Partial<CreateWebhookInput>): Promise<WebhookView> {
    checkTemplate(input.template);
    const now = new Date().toISOString();
    const record: WebhookRecord = {
      id: crypto.randomUUID(),
      name: input.name,
      description: input.description,
      template: input.template,
      enabled: input.enabled,
      slug: newSlug(),
      verification: input.verification ? withSecret(input.verification) : null,
      handshakes: input.handshakes ?? [],
      created: now,
      updated: now,
    };
    await this.repository.create(record);
    await this.audit('created', record);
    return this.view(record, true);
  }

  /** Applies `changes` (a PATCH, or a PUT's full set); returns undefined when `id` is unknown. */
  async update(id: string, changes: PatchWebhookInput, replace = false): Promise<WebhookView | undefined> {
    if (changes.template !== undefined) checkTemplate(changes.template);
    const existing = await this.repository.get(id);
    if (!existing) return undefined;
    const verification =
      changes.verification === undefined
        ? replace
          ? null
          : undefined
        : changes.verification === null
          ? null
          : withSecret(changes.verification, existing.verification);
    const updated = await this.repository.update(
      id,
      {
        name: changes.name,
        description: changes.description ?? (replace ? '' : undefined),
        template: changes.template,
        enabled: changes.enabled ?? (replace ? true : undefined),
        handshakes: changes.handshakes ?? (replace ? [] : undefined),
        verification,
      },
      new Date().toISOString(),
    );
    if (!updated) return undefined;
    await this.audit('updated', updated);
    return this.view(updated, changes.verification?.type === 'standard-webhooks' && !changes.verification.secret);
  }

  /** Gives the webhook a new slug; the old URL stops working at once. */
  async rotate(id: string): Promise<WebhookView | undefined> {
    const updated = await this.repository.update(id, { slug: newSlug() }, new Date().toISOString());
    if (!updated) return undefined;
    await this.audit('updated', updated);
    return this.view(updated);
  }

  /** Returns false when `id` is unknown. */
  async delete(id: string): Promise<boolean> {
    const existing = await this.repository.get(id);
    if (!existing || !(await this.repository.delete(id))) return false;
    await this.audit('deleted', existing);
    return true;
  }

  view(webhook: WebhookRecord, showSecret = false): WebhookView {
    const { verification, ...rest } = webhook;
    let shown: WebhookView['verification'] = null;
    if (verification) {
      const { secret, ...withoutSecret } = verification;
      shown = showSecret ? { ...withoutSecret, secret } : withoutSecret;
    }
    return { ...rest, verification: shown, url: `${this.publicUrl}/hooks/${webhook.slug}` };
  }

  private async audit(action: 'created' | 'updated' | 'deleted', webhook: WebhookRecord): Promise<void> {
    const event: OwnEvent = {
      occurred: new Date().toISOString(),
      event: `tripwire.webhook.${action}`,
      resource: { 'prefect.resource.id': webhookResourceId(webhook.id), 'prefect.resource.name': webhook.name },
      related: [],
      payload: { webhook: this.view(webhook) },
      follows: null,
    };
    await this.pipeline.emit([event]);
  }
}

function withSecret(input: VerificationInput, existing?: WebhookVerification | null): WebhookVerification {
  const secret =
    input.secret ??
    (existing?.type === input.type ? existing.secret : undefined) ??
    `whsec_${crypto.randomBytes(24).toString('base64')}`;
  return {
    type: input.type,
    secret,
    ...(input.header ? { header: input.header } : {}),
    ...(input.tolerance_seconds ? { tolerance_seconds: input.tolerance_seconds } : {}),
  };
}

/** Throws UNPROCESSABLE, naming the line and column, when `template` does not compile. */
function checkTemplate(template: string): void {
  try {
    validateTemplate(template);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    const where = error.line !== undefined ? ` at line ${error.line}, column ${error.column ?? 0}` : '';
    throw new TripwireError(
      'UNPROCESSABLE',
      `invalid template${where}: ${error.message}`,
      [{ path: 'template', message: `${error.message}${where}` }],
      { cause: error },
    );
  }
}
