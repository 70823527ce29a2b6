// Signature verification, which Prefect's webhooks lack: GitHub, Stripe, Standard Webhooks, or a plain HMAC-SHA256
// of the raw body. Verification runs before the template, so an unsigned request is never rendered.
import crypto from 'node:crypto';
import type { WebhookVerification } from '../../db/webhooks';

export type HeaderLookup = (name: string) => string | undefined;

/** Thrown when a request's signature is missing, malformed, wrong or too old; the message says which. */
export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

export const DEFAULT_TOLERANCE_SECONDS = 300;
export const DEFAULT_HMAC_HEADER = 'x-signature';

/** Throws SignatureError unless `rawBody` carries a valid signature for `verification`. */
export function verifySignature(
  verification: WebhookVerification,
  header: HeaderLookup,
  rawBody: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): void {
  const tolerance = verification.tolerance_seconds ?? DEFAULT_TOLERANCE_SECONDS;
  switch (verification.type) {
    case 'github':
      return verifyGithub(verification.secret, header(verification.header ?? 'x-hub-signature-256'), rawBody);
    case 'stripe':
      return verifyStripe(
        verification.secret,
        header(verification.header ?? 'stripe-signature'),
        rawBody,
        nowSeconds,
        tolerance,
      );
    case 'standard-webhooks':
      return verifyStandardWebhooks(verification.secret, header, rawBody, nowSeconds, tolerance);
    case 'hmac':
      return verifyHmac(verification.secret, verification.header ?? DEFAULT_HMAC_HEADER, header, rawBody);
  }
}

function hmac(key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const mac = crypto.createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function equal(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}

function decodeDigest(text: string): Buffer | undefined {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  const buffer = Buffer.from(text, 'base64');
  return buffer.length === 32 ? buffer : undefined;
}

function verifyGithub(secret: string, signature: string | undefined, body: Buffer): void {
  if (!signature) throw new SignatureError('missing X-Hub-Signature-256 header');
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!match) throw new SignatureError('malformed X-Hub-Signature-256 header: expected sha256=<hex>');
  if (!equal(hmac(secret, body), Buffer.from(match[1]!, 'hex'))) throw new SignatureError('signature does not match');
}

function checkTimestamp(timestamp: number, now: number, tolerance: number): void {
  if (!Number.isFinite(timestamp)) throw new SignatureError('malformed signature timestamp');
  if (Math.abs(now - timestamp) > tolerance) {
    throw new SignatureError(`signature timestamp is outside the tolerance of ${tolerance} seconds`);
  }
}

function verifyStripe(secret: string, header: string | undefined, body: Buffer, now: number, tolerance: number): void {
  if (!header) throw new SignatureError('missing Stripe-Signature header');
  const pairs = header.split(',').map((part) => part.trim().split('=') as [string, string?]);
  const timestamp = pairs.find(([k]) => k === 't')?.[1];
  const signatures = pairs.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v!);
  if (!timestamp || signatures.length === 0)
    throw new SignatureError('malformed Stripe-Signature header: expected t=…,v1=…');
  const expected = hmac(secret, `${timestamp}.`, body);
  if (!signatures.some((s) => /^[0-9a-f]{64}$/i.test(s) && equal(expected, Buffer.from(s, 'hex')))) {
    throw new SignatureError('signature does not match');
  }
  checkTimestamp(Number(timestamp), now, tolerance);
}

function verifyStandardWebhooks(
  secret: string,
  header: HeaderLookup,
  body: Buffer,
  now: number,
  tolerance: number,
): void {
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signature = header('webhook-signature');
  if (!id || !timestamp || !signature) {
    throw new SignatureError('missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const expected = hmac(key, `${id}.${timestamp}.`, body);
  const valid = signature
    .split(' ')
    .map((entry) => entry.split(','))
    .some(
      ([version, value]) => version === 'v1' && value !== undefined && equal(expected, Buffer.from(value, 'base64')),
    );
  if (!valid) throw new SignatureError('signature does not match');
  checkTimestamp(Number(timestamp), now, tolerance);
}

function verifyHmac(secret: string, headerName: string, header: HeaderLookup, body: Buffer): void {
  const value = header(headerName);
  if (!value) throw new SignatureError(`missing ${headerName} header`);
  const digest = decodeDigest(value.trim().replace(/^sha256=/i, ''));
  if (!digest) throw new SignatureError(`malformed ${headerName} header: expected a hex or base64 HMAC-SHA256`);
  if (!equal(hmac(secret, body), digest)) throw new SignatureError('signature does not match');
}
