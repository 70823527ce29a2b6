// Whether a failed database call means the database is unreachable or cannot take work right now (an outage, which
// the API answers 503: retry later) rather than that the call itself was wrong (a bug, answered 500). Drivers say
// so in different ways: socket error codes and SQLSTATE classes from PostgreSQL, result codes from SQLite, and
// plain messages once a connection or pool has been closed.

/** Socket errors of a connection that cannot be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * PostgreSQL SQLSTATEs: class 08 connection exception, class 53 insufficient resources (disk full, too many
 * connections), 57P01-57P03 the server shutting down or starting, 28P01 / 28000 a refused login.
 */
const POSTGRES_STATE = /^(08|53|57P0[1-3]$|28P01$|28000$)/;

/** SQLite result codes (including extended ones, such as SQLITE_IOERR_WRITE) of a database that cannot be used now. */
const SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM|NOTADB)/;

/** What the drivers, the pool and tripwire's own writer thread say once their connection is gone. */
const CLOSED_MESSAGE =
  /driver has already been destroyed|the database is closed|database connection is not open|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/;

/** True when `error` (or an error it was caused by, or one of an AggregateError's) reports a database outage. */
export function isDatabaseOutage(error: unknown, depth = 0): boolean {
  // Duck-typed, not `instanceof Error`: errors from Node's own modules may come from another realm (as under jest).
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { code, message, errors, cause } = error as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_STATE.test(code) || SQLITE_CODE.test(code))) {
    return true;
  }
  if (typeof message === 'string' && CLOSED_MESSAGE.test(message)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseOutage(inner, depth + 1))) return true;
  return isDatabaseOutage(cause, depth + 1);
}
