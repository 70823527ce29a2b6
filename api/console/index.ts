// The web console, served at `/` by the API's Koa app: the gate (sign-in, CSRF, CSP), the sign-in routes, the pages
// and the console's own static files. api/app.ts mounts what consoleRoutes() returns.
import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import type Koa from 'koa';
import type { ConsoleServices as Services } from './services';
import { TripwireError } from '../../core/errors';
import { feedRoutes } from './feed';
import { type ConsoleState, consoleGate } from './gate';
import { resourcePages, TemporalLinks } from './pages';
import { ConsoleAuth } from './session';
import { signInRoutes } from './sign-in';
import { CONSOLE_DIR, consoleViews } from './views';

export interface ConsoleParts {
  /** Runs before every route: see gate.ts. */
  gate: Koa.Middleware;
  routers: Router[];
}

const STATIC_TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** Returns the console's middleware and routers for `services`. */
export function consoleRoutes(services: Services): ConsoleParts {
  const { config } = services;
  const auth = new ConsoleAuth({
    apiKey: services.apiKey.key,
    password: config.console.password,
    sessionSeconds: config.console.sessionSeconds,
    secure: config.publicUrl.startsWith('https:'),
  });
  const views = consoleViews();
  const page = (ctx: Koa.Context, view: string, data: object) => {
    const session = (ctx.state as ConsoleState).consoleSession;
    ctx.type = 'html';
    ctx.body = views.render(view, {
      ...data,
      csrf: session ? auth.csrfToken(session.nonce) : '',
      publicUrl: config.publicUrl,
    });
  };
  const temporal = new TemporalLinks(config.temporal.uiUrl, config.temporal.namespace);

  const assets = new Router();
  const staticDir = path.join(CONSOLE_DIR, 'static');
  assets.get('/static/:file', async (ctx) => {
    const file = ctx.params.file!;
    const type = STATIC_TYPES[path.extname(file)];
    if (!/^[a-z0-9-]+\.[a-z]+$/.test(file) || !type) throw new TripwireError('NOT_FOUND', `no static file ${file}`);
    const full = path.join(staticDir, file);
    if (!fs.existsSync(full)) throw new TripwireError('NOT_FOUND', `no static file ${file}`);
    ctx.type = type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = fs.createReadStream(full);
  });

  return {
    gate: consoleGate(auth, new URL(config.publicUrl).origin),
    routers: [
      assets,
      signInRoutes(auth, views),
      feedRoutes({ auth, views, queries: services.eventQueries, events: services.events }, page),
      resourcePages(services, page, temporal),
    ],
  };
}
