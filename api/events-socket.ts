// WebSocket /api/events/in: the stream Prefect's own events client writes to (`prefect.events.emit_event`, flows'
// state events), so code written for a Prefect server emits into tripwire unchanged. The protocol is Prefect's
// self-hosted one: an optional `{"type": "auth", "token": …}` first message answered `auth_success` or
// `auth_failure`, then one JSON event per text message. The client counts an event as delivered once a ping it sends
// after it is answered, so pongs wait for every event before them to be stored.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { EventStoreUnavailableError, EventValidationError, type IngestPipeline } from '../ingest/pipeline';
import type { Logger } from '../logging/logger';
import { apiKeyMatcher } from './auth';

const EVENTS_IN_PATH = '/api/events/in';
/** RFC 6455's "going away": the server is stopping; the client reconnects to the next one. */
const GOING_AWAY = 1001;

/** Close codes: RFC 6455's policy violation (bad auth) and server error (the store is down: reconnect, resend). */
const POLICY_VIOLATION = 1008;
const SERVER_ERROR = 1011;

export interface EventsSocketOptions {
  apiKey: string;
  pipeline: IngestPipeline;
  logger: Logger;
  /** Largest message accepted, in bytes (EVENT_MAX_BYTES). */
  maxEventBytes: number;
}

/** What the HTTP server hands its `upgrade` requests to, and closes the streams with when it stops. */
export interface UpgradeHandler {
  handle(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every open stream: upgraded sockets are no longer the HTTP server's, and would keep it from closing. */
  close(): void;
}

/** Returns the `upgrade` handler: /api/events/in becomes an event stream; anything else is a 404. */
export function eventsSocket(options: EventsSocketOptions): UpgradeHandler {
  const sockets = new WebSocketServer({ noServer: true, autoPong: false, maxPayload: options.maxEventBytes });
  const matches = apiKeyMatcher(options.apiKey);
  const close = () => {
    for (const client of sockets.clients) client.close(GOING_AWAY, 'tripwire is stopping');
  };
  const handle = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== EVENTS_IN_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const header = req.headers.authorization;
    if (header !== undefined && !matches(header)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => stream(ws, header !== undefined, options, matches));
  };
  return { handle, close };
}

function stream(
  ws: WebSocket,
  authenticated: boolean,
  { pipeline, logger }: EventsSocketOptions,
  matches: (header: string) => boolean,
): void {
  let pending: Promise<unknown> = Promise.resolve();
  let first = true;

  ws.on('message', (data: RawData, isBinary: boolean) => {
    const text = isBinary ? undefined : asBuffer(data).toString('utf8');
    let message: unknown;
    try {
      message = text === undefined ? undefined : JSON.parse(text);
    } catch {
      message = undefined;
    }
    const isAuth = typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'auth';
    if (first) {
      first = false;
      if (isAuth) {
        const token = (message as { token?: unknown }).token;
        if (typeof token === 'string' && (matches(`Bearer ${token}`) || matches(`Basic ${base64(token)}`))) {
          authenticated = true;
          ws.send(JSON.stringify({ type: 'auth_success' }));
        } else if (authenticated) {
          ws.send(JSON.stringify({ type: 'auth_success' })); // the upgrade carried the key already
        } else {
          ws.send(JSON.stringify({ type: 'auth_failure', reason: 'wrong or missing API key' }));
          ws.close(POLICY_VIOLATION, 'wrong or missing API key');
        }
        return;
      }
    }
    if (!authenticated) {
      ws.close(POLICY_VIOLATION, 'authenticate first: {"type": "auth", "token": "<API key>"}');
      return;
    }
    if (message === undefined) {
      logger.warn('events stream: a message that is not a JSON text frame was dropped');
      return;
    }
    const stored = pipeline.accept([message], false).catch((error: unknown) => {
      if (error instanceof EventValidationError) {
        logger.warn('events stream: an invalid event was dropped', { problems: error.issues.slice(0, 5) });
      } else if (error instanceof EventStoreUnavailableError) {
        // Closing unconfirmed makes the client reconnect and send again what it has not seen acknowledged.
        ws.close(SERVER_ERROR, 'the event store is unavailable');
      } else {
        logger.error('events stream: storing an event failed', { error: (error as Error).message });
        ws.close(SERVER_ERROR, 'storing the event failed');
      }
    });
    pending = pending.then(() => stored);
  });
  ws.on('ping', (data: Buffer) => {
    void pending.then(() => {
      if (ws.readyState === ws.OPEN) ws.pong(data);
    });
  });
  ws.on('error', (error) => logger.warn('events stream: connection error', { error: error.message }));
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
