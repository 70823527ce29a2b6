// The management API's webhook shapes. The slug is never accepted from a client: tripwire assigns it.
import { z } from 'zod';
import { WEBHOOK_HANDSHAKES } from '../../db/webhooks';

export const verificationSchema = z
  .object({
    type: z.enum(['github', 'stripe', 'standard-webhooks', 'hmac']),
    secret: z.string().min(1, 'secret must not be empty').optional(),
    header: z.string().min(1).optional(),
    tolerance_seconds: z.number().int().positive().optional(),
  })
  .strict()
  .refine((v) => v.secret !== undefined || v.type === 'standard-webhooks', {
    message: 'secret is required (tripwire generates one only for standard-webhooks)',
    path: ['secret'],
  });

const name = z.string().trim().min(1, 'name must not be empty').max(200);
/** The subscription handshakes the webhook answers itself; each listed once. */
const handshakes = z
  .array(z.enum(WEBHOOK_HANDSHAKES))
  .refine((list) => new Set(list).size === list.length, 'each handshake may be listed once');
const template = z.string().min(1, 'template must not be empty').max(100_000);

export const createWebhookSchema = z
  .object({
    name,
    description: z.string().max(10_000).default(''),
    template,
    enabled: z.boolean().default(true),
    verification: verificationSchema.nullable().optional(),
    handshakes: handshakes.default([]),
  })
  .strict();

export const replaceWebhookSchema = createWebhookSchema;

export const patchWebhookSchema = z
  .object({
    name: name.optional(),
    description: z.string().max(10_000).optional(),
    template: template.optional(),
    enabled: z.boolean().optional(),
    verification: verificationSchema.nullable().optional(),
    handshakes: handshakes.optional(),
  })
  .strict();

/** A template playground request: a template (the stored one when previewing a webhook) and a sample request. */
export const previewRequestSchema = z
  .object({
    template: template.optional(),
    request: z
      .object({
        method: z.enum(['GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'PATCH']).default('POST'),
        headers: z.record(z.string(), z.string()).default({}),
        body: z.string().max(10_000_000).default(''),
      })
      .strict()
      .default({ method: 'POST', headers: {}, body: '' }),
  })
  .strict();

export type CreateWebhookInput = z.infer<typeof createWebhookSchema>;
export type PatchWebhookInput = z.infer<typeof patchWebhookSchema>;
export type VerificationInput = z.infer<typeof verificationSchema>;
