// Whether a failed Temporal call means the server is unreachable or not answering in time (an outage: the API
// answers 503 and the caller's work waits for Temporal), rather than that the call was refused for what it asked.

/** gRPC status codes of a server that is down, restarting, or too slow: UNAVAILABLE and DEADLINE_EXCEEDED. */
const OUTAGE_STATUS = new Set([14, 4]);

/** What the SDK says when it has no connection at all (the lazy connection's dial failing). */
const NO_CONNECTION = /Failed to connect|No connection established|ECONNREFUSED|Channel has been shut down/;

/** True when `error` (or one it was caused by) reports that Temporal is unreachable or timed out. */
export function isTemporalOutage(error: unknown, depth = 0): boolean {
  // Duck-typed: the SDK's errors and grpc's status objects are plain objects with `code`, or come from another realm.
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { code, message, cause, name } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    name?: unknown;
  };
  if (typeof code === 'number' && OUTAGE_STATUS.has(code)) return true;
  if (name === 'TransportError' || name === 'ConnectionError') return true;
  if (typeof message === 'string' && NO_CONNECTION.test(message)) return true;
  return isTemporalOutage(cause, depth + 1);
}
