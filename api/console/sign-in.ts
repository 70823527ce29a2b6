// GET/POST /sign-in and POST /sign-out. The sign-in form's CSRF token is bound to a nonce cookie set with the form,
// so another site cannot sign a browser into a session of its choosing.
import crypto from 'node:crypto';
import Router from '@koa/router';
import type Koa from 'koa';
import type nunjucks from 'nunjucks';
import { readForm, type ConsoleState } from './gate';
import { type ConsoleAuth, SESSION_COOKIE, SIGN_IN_COOKIE } from './session';

/** Returns the router of the sign-in and sign-out routes. */
export function signInRoutes(auth: ConsoleAuth, views: nunjucks.Environment): Router {
  const router = new Router();

  const showForm = (ctx: Koa.Context, next: string, error?: string) => {
    const nonce = crypto.randomBytes(18).toString('base64url');
    setCookie(ctx, auth, SIGN_IN_COOKIE, nonce, 10 * 60_000);
    ctx.type = 'html';
    ctx.body = views.render('sign-in.njk', {
      next,
      error,
      credential: auth.credentialName,
      csrf: auth.csrfToken(nonce, 'sign-in'),
    });
  };

  router.get('/sign-in', (ctx) => {
    showForm(ctx, safeNext(ctx.query.next));
  });

  router.post('/sign-in', async (ctx) => {
    const form = await readForm(ctx);
    const next = safeNext(form.get('next') ?? undefined);
    const nonce = ctx.cookies.get(SIGN_IN_COOKIE);
    if (!nonce || !auth.checkCsrf(nonce, form.get('_csrf') ?? undefined, 'sign-in')) {
      showForm(ctx, next, 'The form expired; please sign in again.');
      ctx.status = 403;
      return;
    }
    if (!auth.checkCredential(form.get('key') ?? '')) {
      showForm(ctx, next, `Wrong ${auth.credentialName}.`);
      ctx.status = 401;
      return;
    }
    setCookie(ctx, auth, SIGN_IN_COOKIE, '', 0);
    setCookie(ctx, auth, SESSION_COOKIE, auth.issue().cookie);
    ctx.status = 303;
    ctx.redirect(next);
  });

  router.post('/sign-out', (ctx) => {
    const session = (ctx.state as ConsoleState).consoleSession;
    if (session) auth.revoke(session);
    setCookie(ctx, auth, SESSION_COOKIE, '', 0);
    ctx.status = 303;
    ctx.redirect('/sign-in');
  });
  return router;
}

/** Only a path on this site may be the place to go after signing in (no `//evil`, no `javascript:`). */
function safeNext(value: unknown): string {
  const text: unknown = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' && /^\/(?![/\\])[^\s]*$/.test(text) ? text : '/';
}

/** Sets a cookie by header, so `Secure` follows TRIPWIRE_PUBLIC_URL even when a proxy terminates TLS. */
function setCookie(ctx: Koa.Context, auth: ConsoleAuth, name: string, value: string, maxAgeMs?: number): void {
  const options = auth.cookieOptions(maxAgeMs);
  const parts = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.floor(options.maxAge / 1000)}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (options.secure) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
}
