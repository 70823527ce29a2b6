// What Prefect's two event streams share: the first-message handshake of its self-hosted protocol
// (`{"type": "auth", "token": …}` answered `auth_success` or `auth_failure`), close codes, and message parsing.
import type { RawData, WebSocket } from 'ws';
import { exceedsJsonDepth } from '../core/json-depth';

/** RFC 6455 close codes used by the streams. */
export const CLOSE = {
  /** The server is stopping; the client reconnects to the next one. */
  GOING_AWAY: 1001,
  /** The client broke the protocol (Prefect's WS_1002_PROTOCOL_ERROR: no filter message, an invalid filter). */
  PROTOCOL_ERROR: 1002,
  /** Bad or missing credentials. */
  POLICY_VIOLATION: 1008,
  /** The server failed (the event store is down): reconnect and try again. */
  SERVER_ERROR: 1011,
  /** The server is overloaded (a subscriber that does not keep up): reconnect later. */
  TRY_AGAIN_LATER: 1013,
} as const;

/** RFC 6455 limits a close reason to 123 bytes of UTF-8; ws throws on longer ones. */
const MAX_REASON_BYTES = 123;

/** Closes `ws` with `reason` cut to what a close frame can carry. */
export function closeWith(ws: WebSocket, code: number, reason: string): void {
  let cut = reason;
  while (Buffer.byteLength(cut, 'utf8') > MAX_REASON_BYTES) cut = cut.slice(0, -1);
  ws.close(code, cut);
}

/**
 * Returns a text message parsed as JSON, or undefined for binary frames, text that is not JSON and JSON nested deeper
 * than MAX_JSON_DEPTH (which nothing after the parse could take).
 */
export function parseMessage(data: RawData, isBinary: boolean): unknown {
  if (isBinary) return undefined;
  const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  const text = buffer.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return exceedsJsonDepth(text) ? undefined : parsed;
}

export function messageType(message: unknown): unknown {
  return typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
}

/**
 * Answers an auth message: `auth_success` when its token is the API key (or the upgrade already carried the key),
 * else `auth_failure` and a close. Returns whether the stream may go on.
 */
function answerAuth(
  ws: WebSocket,
  message: unknown,
  alreadyAuthenticated: boolean,
  matches: (header: string) => boolean,
): boolean {
  const token = (message as { token?: unknown }).token;
  const valid =
    typeof token === 'string' &&
    (matches(`Bearer ${token}`) || matches(`Basic ${Buffer.from(token, 'utf8').toString('base64')}`));
  if (valid || alreadyAuthenticated) {
    ws.send(JSON.stringify({ type: 'auth_success' }));
    return true;
  }
  ws.send(JSON.stringify({ type: 'auth_failure', reason: 'wrong or missing API key' }));
  closeWith(ws, CLOSE.POLICY_VIOLATION, 'wrong or missing API key');
  return false;
}

/**
 * Returns the gate every message of a stream passes: an auth message first is answered (and goes no further), and
 * nothing goes further on a stream that is not authenticated, which is closed instead. True lets `message` through.
 */
export function prefectHandshake(
  ws: WebSocket,
  authenticatedByHeader: boolean,
  matches: (header: string) => boolean,
): (message: unknown) => boolean {
  let authenticated = authenticatedByHeader;
  let first = true;
  return (message) => {
    if (first) {
      first = false;
      if (messageType(message) === 'auth') {
        authenticated = answerAuth(ws, message, authenticated, matches);
        return false;
      }
    }
    if (!authenticated) {
      closeWith(ws, CLOSE.POLICY_VIOLATION, 'authenticate first: {"type": "auth", "token": "<API key>"}');
      return false;
    }
    return true;
  };
}
