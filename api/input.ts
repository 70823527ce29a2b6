// Request bodies and query strings of the management API: read with a size limit, parsed as JSON with a message
// that says where it broke, and validated by a zod schema into a 422 that names every bad field.
import type Koa from 'koa';
import getRawBody from 'raw-body';
import type { z } from 'zod';
import { TripwireError, type ErrorDetail } from '../core/errors';
import { exceedsJsonDepth, tooDeepMessage } from '../core/json-depth';

export const MAX_API_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Returns the parsed JSON body; throws 400 for malformed or too deeply nested JSON, 413 when over the limit, 415 for
 * non-JSON.
 */
export async function readJson(ctx: Koa.Context, limit = MAX_API_BODY_BYTES): Promise<unknown> {
  return readBody(ctx, limit, false);
}

/** As readJson, but an empty body is `undefined`: Prefect's clients POST some queries with no body at all. */
export async function readOptionalJson(ctx: Koa.Context, limit = MAX_API_BODY_BYTES): Promise<unknown> {
  return readBody(ctx, limit, true);
}

async function readBody(ctx: Koa.Context, limit: number, optional: boolean): Promise<unknown> {
  const type = ctx.get('content-type');
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new TripwireError(
      'UNSUPPORTED_MEDIA_TYPE',
      `expected a JSON body (Content-Type: application/json), got ${type}`,
    );
  }
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit, encoding: 'utf8', length: ctx.get('content-length') || undefined });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') {
      throw new TripwireError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`);
    }
    throw new TripwireError('BAD_REQUEST', `could not read the request body: ${(error as Error).message}`);
  }
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new TripwireError('BAD_REQUEST', 'request body is empty; expected JSON');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TripwireError('BAD_REQUEST', `request body is not valid JSON: ${(error as Error).message}`);
  }
  // The parse takes any depth; what follows it recurses.
  if (exceedsJsonDepth(text)) throw new TripwireError('BAD_REQUEST', tooDeepMessage('request body'));
  return parsed;
}

/** Returns `input` parsed by `schema`, or throws 422 with one detail per issue. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'request'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new TripwireError('UNPROCESSABLE', `invalid ${what}`, zodDetails(result.error));
}

/** Returns one `{path, message}` per zod issue, with paths such as `trigger.triggers[1].within`. */
export function zodDetails(error: z.ZodError, prefix = ''): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path, prefix), message: issue.message }));
}

/** Formats a zod path like `a.b[2].c`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
