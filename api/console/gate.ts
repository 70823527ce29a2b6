// The console's front door, run before any route: security headers on every console response, sign-in required for
// every page and for /console/api (which it hands to the /api routers as if the API key had been sent), and a CSRF
// token required on every state-changing request. /api, /hooks and the health checks pass through untouched.
import type Koa from 'koa';
import getRawBody from 'raw-body';
import { TripwireError } from '../../core/errors';
import { type ConsoleAuth, type Session, SESSION_COOKIE } from './session';

/** What the gate leaves in ctx.state for the console's routes (and for app.ts's API-key check). */
export interface ConsoleState {
  consoleSession?: Session;
  /** Set only for /console/api requests that passed the session and CSRF checks. */
  consoleApi?: boolean;
  /** The url-encoded form of a state-changing page request. */
  form?: URLSearchParams;
}

const PASS_THROUGH = /^\/(api|hooks)(\/|$)|^\/(healthz|readyz|metrics)$/;
const PUBLIC = /^\/static\/|^\/sign-in$|^\/favicon\.ico$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_FORM_BYTES = 64 * 1024;

/** Inline script (including event-handler attributes) is never allowed; everything loads from tripwire itself. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Returns the gate middleware. `publicOrigin` (from TRIPWIRE_PUBLIC_URL) is accepted as a request's Origin besides
 * the one the request itself shows, for proxies that terminate TLS without saying so (X-Forwarded-Proto).
 */
export function consoleGate(auth: ConsoleAuth, publicOrigin: string): Koa.Middleware {
  return async (ctx, next) => {
    if (PASS_THROUGH.test(ctx.path)) {
      await next();
      return;
    }
    ctx.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    if (PUBLIC.test(ctx.path)) {
      await next();
      return;
    }

    const state = ctx.state as ConsoleState;
    const session = auth.verify(ctx.cookies.get(SESSION_COOKIE));
    const isApi = ctx.path.startsWith('/console/api/');
    if (!session) {
      if (isApi) throw new TripwireError('UNAUTHORIZED', 'sign in to the console first');
      ctx.status = 303;
      ctx.redirect(`/sign-in?next=${encodeURIComponent(ctx.method === 'GET' ? ctx.originalUrl : '/')}`);
      return;
    }
    state.consoleSession = session;

    if (!SAFE_METHODS.has(ctx.method)) {
      const origin = ctx.get('origin');
      // Not ctx.origin: Koa 3 answers that from the Origin header itself.
      if (origin && origin !== `${ctx.protocol}://${ctx.host}` && origin !== publicOrigin)
        throw new TripwireError('FORBIDDEN', 'cross-origin request refused');
      let token = ctx.get('x-csrf-token');
      if (!isApi && /^application\/x-www-form-urlencoded\b/i.test(ctx.get('content-type'))) {
        state.form = await readForm(ctx);
        token ||= state.form.get('_csrf') ?? '';
      }
      if (!auth.checkCsrf(session.nonce, token)) {
        throw new TripwireError('FORBIDDEN', 'missing or wrong CSRF token; reload the page and try again');
      }
    }

    if (isApi) {
      state.consoleApi = true;
      ctx.path = ctx.path.slice('/console'.length);
    }
    await next();
  };
}

/** Reads an application/x-www-form-urlencoded body. */
export async function readForm(ctx: Koa.Context): Promise<URLSearchParams> {
  try {
    const text = await getRawBody(ctx.req, { limit: MAX_FORM_BYTES, encoding: 'utf8' });
    return new URLSearchParams(text);
  } catch {
    throw new TripwireError('BAD_REQUEST', 'could not read the form');
  }
}
