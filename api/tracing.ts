// One server span per HTTP request, when tracing is on: the root of the trace that follows a webhook's events to the
// flow runs they start. Named and labelled by the matched route pattern, never the path (a slug is a secret).
import * as otel from '@opentelemetry/api';
import type Koa from 'koa';
import type { Tracing } from '../services/tracing/tracing';
import { routeOf } from './metrics';

/** Returns middleware that runs each request in a server span. */
export function httpTracing(tracing: Tracing): Koa.Middleware {
  return async (ctx, next) => {
    // A webhook sender's headers are hostile: only API callers may continue a trace of their own.
    const isApi = ctx.path === '/api' || ctx.path.startsWith('/api/');
    const parent = isApi ? otel.propagation.extract(otel.ROOT_CONTEXT, ctx.headers) : otel.ROOT_CONTEXT;
    const span = tracing.tracer.startSpan(
      ctx.method,
      { kind: otel.SpanKind.SERVER, attributes: { 'http.request.method': ctx.method } },
      parent,
    );
    try {
      await otel.context.with(otel.trace.setSpan(parent, span), next);
    } finally {
      const route = routeOf(ctx);
      span.updateName(`${ctx.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': ctx.status });
      if (ctx.status >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.end();
    }
  };
}
