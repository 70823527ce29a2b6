// GET /metrics (Prometheus text) and the middleware that counts every request. A request is labelled with the route
// pattern it matched (`/hooks/:slug`, `/api/webhooks/:id`), never its path: a webhook's slug is its secret.
import Router from '@koa/router';
import type Koa from 'koa';
import type { Metrics } from '../services/metrics/metrics';
import type { MetricsAccess } from '../services/metrics/server';
import { apiKeyMatcher } from '../services/config/api-key';
import { TripwireError } from '../core/errors';

/** The route pattern a request matched, or `unmatched`. */
export function routeOf(ctx: Koa.Context): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}

/** Counts and times every request; goes outside the error middleware so it sees the status actually sent. */
export function httpMetrics(metrics: Pick<Metrics, 'httpRequests' | 'httpDuration'>): Koa.Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = routeOf(ctx);
      metrics.httpRequests.inc({ method: ctx.method, route, status: ctx.status });
      metrics.httpDuration.observe({ method: ctx.method, route }, (performance.now() - started) / 1000);
    }
  };
}

/** Returns the router of GET /metrics. */
export function metricsRoutes(metrics: Metrics, access: MetricsAccess): Router {
  const matchers = access.keys.map(apiKeyMatcher);
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    if (!access.public) {
      const header = ctx.get('authorization');
      if (!matchers.some((matches) => matches(header))) {
        throw new TripwireError(
          'UNAUTHORIZED',
          'send "Authorization: Bearer <key>" (the API key or the metrics key)',
          [],
          {
            headers: { 'WWW-Authenticate': 'Bearer realm="tripwire metrics"' },
          },
        );
      }
    }
    ctx.set('Content-Type', metrics.contentType);
    ctx.body = await metrics.scrape();
  });
  return router;
}
