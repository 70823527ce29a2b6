// The management API (/api) requires the API key: `Authorization: Bearer <key>`, or HTTP Basic with the key as the
// password, which is what Prefect's clients send when PREFECT_API_AUTH_STRING is `<any user>:<key>`
// (services/config/api-key.ts compares them).
import type Koa from 'koa';
import { TripwireError } from '../core/errors';
import { apiKeyMatcher } from '../services/config/api-key';

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
