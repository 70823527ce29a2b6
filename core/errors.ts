// tripwire's one error model. A failure a caller can act on is a TripwireError carrying a code from a closed set,
// thrown where the failure is understood (a rejected automation, a finished run, an invalid event); the API's one
// error boundary (api/errors.ts) answers it with the code's status, and nothing in between translates it.
// Anything else that escapes is a bug or an outage, which the boundary tells apart.

/** Each code and the HTTP status it is answered with; the compiler checks every code has one. */
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

/** Thrown to fail with `code`; `details` lists field-level problems, `headers` go on the HTTP answer. */
export class TripwireError extends Error {
  readonly headers: Record<string, string> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'TripwireError';
    this.headers = options?.headers;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** Returns the same error with every detail's path under `prefix` (an automation's problem in `triggers[0]`). */
  within(prefix: string): TripwireError {
    const details = this.details?.map((d) => ({ ...d, path: d.path ? `${prefix}.${d.path}` : prefix }));
    return new TripwireError(this.code, this.message, details, { cause: this, headers: this.headers });
  }
}

/** Thrown where a dependency (Temporal, the database, the event store) is unreachable; answered 503 and logged. */
export class UnavailableError extends TripwireError {
  constructor(what: string, cause: unknown, advice = 'retry later') {
    super('UNAVAILABLE', `${what} is unavailable; ${advice}`, undefined, { cause });
    this.name = 'UnavailableError';
  }
}
