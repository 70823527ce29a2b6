// One HTTP error model: errors carry a code from a closed set, an exhaustive table maps codes to statuses, 4xx
// messages are shown to the caller and 5xx are generic. Every error is re-emitted to app.on('error') for logging.
import type Koa from 'koa';
import { isDatabaseOutage } from '../db/outage';
import { isTemporalOutage } from '../services/temporal/outage';

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem in a request, located by a path such as `trigger.within` or `[2].resource`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** Thrown by handlers to answer with `code`'s status; `details` lists field-level problems. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'ApiError';
    this.headers = options?.headers;
  }
  readonly headers: Record<string, string> | undefined;

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Thrown where a dependency (Temporal, the database) is unreachable; answers 503 and is logged. */
export class UnavailableError extends ApiError {
  constructor(what: string, cause: unknown, advice = 'retry later') {
    super('UNAVAILABLE', `${what} is unavailable; ${advice}`, undefined, { cause });
    this.name = 'UnavailableError';
  }
}

/** The outermost middleware: turns any throwable into `{error: {code, message, details?}}`. */
export function errorMiddleware(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ApiError('NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (thrown) {
      const error = toApiError(thrown);
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
      ctx.body = {
        error: {
          code: error.code,
          message: error.status >= 500 && !(error instanceof UnavailableError) ? 'internal error' : error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      };
      if (error.status >= 500) ctx.app.emit('error', thrown, ctx);
    }
  };
}

/** Converts an unknown throwable once, at the boundary: Koa's http errors keep their status, the rest are 500s. */
export function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  const status = (thrown as { status?: unknown; expose?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0] ?? 'BAD_REQUEST') as ErrorCode;
    return new ApiError(code, (thrown as Error).message, undefined, { cause: thrown });
  }
  if (isDatabaseOutage(thrown)) return new UnavailableError('the database', thrown);
  if (isTemporalOutage(thrown)) return new UnavailableError('Temporal', thrown);
  return new ApiError('INTERNAL', 'internal error', undefined, { cause: thrown });
}
