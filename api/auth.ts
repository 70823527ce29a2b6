// The management API (/api) requires the API key: `Authorization: Bearer <key>`, or HTTP Basic with the key as the
// password, which is what Prefect's clients send when PREFECT_API_AUTH_STRING is `<any user>:<key>`. Keys are
// compared in constant time so the answer's timing says nothing about how much of a guess was right.
import crypto from 'node:crypto';
import type Koa from 'koa';
import { TripwireError } from '../core/errors';

/** Returns whether an Authorization header carries `apiKey`, as a bearer token or as a Basic password. */
export function apiKeyMatcher(apiKey: string): (header: string) => boolean {
  const expected = digest(apiKey);
  return (header) => {
    const given = presentedKey(header);
    return given !== undefined && crypto.timingSafeEqual(digest(given), expected);
  };
}

function presentedKey(header: string): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) return bearer[1]!.trim();
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

function digest(text: string): Buffer {
  return crypto.createHash('sha256').update(text).digest();
}

/** Returns middleware that rejects requests without the right key with 401. */
export function requireApiKey(apiKey: string): Koa.Middleware {
  const matches = apiKeyMatcher(apiKey);
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    if (!/^(Bearer|Basic)\s+\S/i.test(header)) {
      throw new TripwireError('UNAUTHORIZED', 'missing API key: send "Authorization: Bearer <key>"', undefined, {
        headers: { 'WWW-Authenticate': 'Bearer realm="tripwire"' },
      });
    }
    if (!matches(header)) {
      throw new TripwireError('UNAUTHORIZED', 'wrong API key', undefined, {
        headers: { 'WWW-Authenticate': 'Bearer realm="tripwire", error="invalid_token"' },
      });
    }
    await next();
  };
}
