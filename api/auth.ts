// The management API (/api) requires `Authorization: Bearer <key>`. Keys are compared in constant time so the
// answer's timing says nothing about how much of a guess was right.
import crypto from 'node:crypto';
import type Koa from 'koa';
import { ApiError } from './errors';

/** Returns middleware that rejects requests without the right bearer key with 401. */
export function requireApiKey(apiKey: string): Koa.Middleware {
  const expected = crypto.createHash('sha256').update(apiKey).digest();
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) {
      throw new ApiError('UNAUTHORIZED', 'missing API key: send "Authorization: Bearer <key>"', undefined, {
        headers: { 'WWW-Authenticate': 'Bearer realm="tripwire"' },
      });
    }
    const given = crypto.createHash('sha256').update(match[1]!.trim()).digest();
    if (!crypto.timingSafeEqual(given, expected)) {
      throw new ApiError('UNAUTHORIZED', 'wrong API key', undefined, {
        headers: { 'WWW-Authenticate': 'Bearer realm="tripwire", error="invalid_token"' },
      });
    }
    await next();
  };
}
