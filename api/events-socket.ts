// Prefect's event streams over WebSocket, so code written for a Prefect server works against tripwire unchanged:
// - /api/events/in is what Prefect's events client writes to (`prefect.events.emit_event`, flows' state events):
//   one JSON event per text message. The client counts an event as delivered once a ping it sends after it is
//   answered, so pongs wait for every event before them to be stored.
// - /api/events/out is what Prefect's subscriber reads (`get_events_subscriber()`, `prefect events stream`): a
//   filter message, then the matching events (api/events-out-socket.ts).
// Both start with Prefect's self-hosted handshake (api/prefect-socket.ts); an Authorization header with the API key
// on the upgrade authenticates too.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { EventFilterQueries } from '../db/event-filter-queries';
import type { EventFeed } from '../services/events/event-feed';
import { EventStoreUnavailableError, EventValidationError, type IngestPipeline } from '../services/events/pipeline';
import type { Logger } from '../services/logging/logger';
import { apiKeyMatcher } from '../services/config/api-key';
import { streamOut } from './events-out-socket';
import { CLOSE, closeWith, parseMessage, prefectHandshake } from './prefect-socket';

const EVENTS_IN_PATH = '/api/events/in';
const EVENTS_OUT_PATH = '/api/events/out';

export interface EventsSocketOptions {
  apiKey: string;
  pipeline: IngestPipeline;
  feed: EventFeed;
  queries: EventFilterQueries;
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

/** Returns the `upgrade` handler: the two event streams; anything else is a 404. */
export function eventsSocket(options: EventsSocketOptions): UpgradeHandler {
  const sockets = new WebSocketServer({ noServer: true, autoPong: false, maxPayload: options.maxEventBytes });
  const matches = apiKeyMatcher(options.apiKey);
  const close = () => {
    for (const client of sockets.clients) closeWith(client, CLOSE.GOING_AWAY, 'tripwire is stopping');
  };
  const handle = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== EVENTS_IN_PATH && path !== EVENTS_OUT_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const header = req.headers.authorization;
    if (header !== undefined && !matches(header)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      if (path === EVENTS_IN_PATH) streamIn(ws, header !== undefined, options, matches);
      else streamOut(ws, header !== undefined, options, matches);
    });
  };
  return { handle, close };
}

function streamIn(
  ws: WebSocket,
  authenticated: boolean,
  { pipeline, logger }: EventsSocketOptions,
  matches: (header: string) => boolean,
): void {
  let pending: Promise<unknown> = Promise.resolve();
  const admit = prefectHandshake(ws, authenticated, matches);

  ws.on('message', (data: RawData, isBinary: boolean) => {
    const message = parseMessage(data, isBinary);
    if (!admit(message)) return;
    if (message === undefined) {
      logger.warn('events stream: a message that is not a JSON text frame (or nests too deeply) was dropped');
      return;
    }
    const stored = pipeline.accept([message], false).catch((error: unknown) => {
      if (error instanceof EventValidationError) {
        logger.warn('events stream: an invalid event was dropped', { problems: error.issues.slice(0, 5) });
      } else if (error instanceof EventStoreUnavailableError) {
        // Closing unconfirmed makes the client reconnect and send again what it has not seen acknowledged.
        closeWith(ws, CLOSE.SERVER_ERROR, 'the event store is unavailable');
      } else {
        logger.error('events stream: storing an event failed', { error: (error as Error).message });
        closeWith(ws, CLOSE.SERVER_ERROR, 'storing the event failed');
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
