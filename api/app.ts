// Builds the Koa application: middleware order only (errors, then public routes, then the key-protected /api).
// It never listens; api/server.ts does, and tests drive app.callback().
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from '../services/logging/logger';
import type { Metrics } from '../services/metrics/metrics';
import type { Tracing } from '../services/tracing/tracing';
import { requireApiKey } from './auth';
import { errorMiddleware } from './errors';
import { httpMetrics } from './metrics';
import { httpTracing } from './tracing';

export interface AppOptions {
  apiKey: string;
  logger: Logger;
  /** Routes outside /api that need no key: health, /hooks. */
  publicRoutes: Router[];
  /** Routes mounted under /api, behind the API key. */
  apiRoutes: Router[];
  /** The web console at `/` (api/console): its gate runs first; /console/api reaches apiRoutes with a session. */
  console?: { gate: Koa.Middleware; routers: Router[] };
  /** Counts every request. */
  metrics?: Metrics;
  /** When tracing is on: a server span per request. */
  tracing?: Tracing;
}

/** Returns the Koa app; errors at or above 500 are logged through `logger`, with no request data. */
export function createApp(options: AppOptions): Koa {
  const app = new Koa();
  app.proxy = true;
  app.silent = true;
  app.on('error', (error: unknown, ctx?: Koa.Context) => {
    // A client that leaves a live tail (a browser navigating away) ends its stream early; nothing failed.
    if ((error as { code?: unknown })?.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    options.logger.error('request failed', {
      method: ctx?.method,
      path: ctx?.path.startsWith('/hooks/') ? '/hooks/:slug' : ctx?.path,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      cause: error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined,
    });
  });
  // Outside the error middleware, so both see the status that is actually sent.
  if (options.metrics) app.use(httpMetrics(options.metrics));
  if (options.tracing) app.use(httpTracing(options.tracing));
  app.use(errorMiddleware());
  if (options.console) app.use(options.console.gate);
  for (const router of options.publicRoutes) app.use(router.routes()).use(router.allowedMethods());

  // Checked for every /api path, matched or not, so the key is required before anything else is revealed.
  const auth = requireApiKey(options.apiKey);
  app.use(async (ctx, next) => {
    // The console's gate has checked a session and a CSRF token instead (api/console/gate.ts).
    if ((ctx.state as { consoleApi?: boolean }).consoleApi === true) await next();
    else if (ctx.path === '/api' || ctx.path.startsWith('/api/')) await auth(ctx, next);
    else await next();
  });
  const api = new Router({ prefix: '/api' });
  for (const router of options.apiRoutes) api.use(router.routes(), router.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  for (const router of options.console?.routers ?? []) app.use(router.routes()).use(router.allowedMethods());
  return app;
}
