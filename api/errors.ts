// The one error boundary: any throwable becomes `{error: {code, message, details?}}` with its code's status
// (core/errors.ts holds the closed code table). Messages of 4xx and 503 answers are shown to the caller; an internal
// error's is not. Every 5xx is re-emitted to app.on('error') for logging.
import type Koa from 'koa';
import { type ErrorCode, ERROR_STATUS, TripwireError, UnavailableError } from '../core/errors';
import { isDatabaseOutage } from '../db/outage';
import { isTemporalOutage } from '../services/temporal/outage';

/** The outermost middleware: turns any throwable into `{error: {code, message, details?}}`. */
export function errorMiddleware(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new TripwireError('NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (thrown) {
      const error = toApiError(thrown);
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
      ctx.body = {
        error: {
          code: error.code,
          message: error.code === 'INTERNAL' ? 'internal error' : error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      };
      if (error.status >= 500) ctx.app.emit('error', thrown, ctx);
    }
  };
}

/** Converts an unknown throwable once, at the boundary: Koa's http errors keep their status, the rest are 500s. */
export function toApiError(thrown: unknown): TripwireError {
  if (thrown instanceof TripwireError) return thrown;
  const status = (thrown as { status?: unknown; expose?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0] ?? 'BAD_REQUEST') as ErrorCode;
    return new TripwireError(code, (thrown as Error).message, undefined, { cause: thrown });
  }
  if (isDatabaseOutage(thrown)) return new UnavailableError('the database', thrown);
  if (isTemporalOutage(thrown)) return new UnavailableError('Temporal', thrown);
  return new TripwireError('INTERNAL', 'internal error', undefined, { cause: thrown });
}
