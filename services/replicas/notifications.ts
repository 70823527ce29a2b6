// Wake-ups between tripwire processes on one PostgreSQL (LISTEN/NOTIFY): another replica's router learns that events
// wait in the outbox, and every registry that the automations changed, without waiting for its next poll. They are
// hints, never the only path: a notification sent while a listener is disconnected is lost, so every listener also
// polls, and after a reconnect each handler is called once in case it missed something.
import pg from 'pg';
import type { Logger } from '../logging/logger';

/** The outbox has events that the process holding the router's lease should route now. */
export const OUTBOX_CHANNEL = 'tripwire_outbox';
/** The automations changed (sent by migration 0008's trigger, from any connection). */
export const AUTOMATIONS_CHANNEL = 'tripwire_automations';

const RECONNECT_MS = 1000;

/** Listens on channels and notifies them, over one connection of its own. */
export class DbNotifications {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client | undefined> | undefined;
  private readonly handlers = new Map<string, (() => void)[]>();
  private readonly sending = new Map<string, 'sending' | 'again'>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** Calls `handler` whenever another process notifies `channel` (and after each reconnect). */
  listen(channel: string, handler: () => void): void {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler);
    this.handlers.set(channel, list);
    if (list.length === 1 && this.client) {
      this.client.query(`listen ${quoteChannel(channel)}`).catch(() => undefined);
    }
    void this.connect();
  }

  /**
   * Notifies `channel`. Calls made while one is on its way are folded into one more after it, so a burst costs two
   * round trips, not one per call. Failures are dropped: listeners poll anyway.
   */
  notify(channel: string): void {
    const state = this.sending.get(channel);
    if (state) {
      this.sending.set(channel, 'again');
      return;
    }
    this.sending.set(channel, 'sending');
    void (async () => {
      try {
        do {
          this.sending.set(channel, 'sending');
          const client = await this.connect();
          if (!client) break;
          await client.query('select pg_notify($1, $2)', [channel, '']).catch(() => undefined);
        } while (this.sending.get(channel) === 'again' && !this.closed);
      } finally {
        this.sending.delete(channel);
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<pg.Client | undefined> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.resolve(undefined);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<pg.Client | undefined> {
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000 });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      // Our own notifications need no wake-up: the notifying process acts on its own.
      if (message.processId === (client as unknown as { processID: number }).processID) return;
      this.dispatch(message.channel);
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`listen ${quoteChannel(channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.scheduleReconnect(error);
      return undefined;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return undefined;
    }
    this.client = client;
    // Anything sent while we were not listening is lost: let every handler look once.
    for (const channel of this.handlers.keys()) this.dispatch(channel);
    return client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(error?: unknown): void {
    if (this.closed || this.reconnectTimer || this.handlers.size === 0) return;
    if (error)
      this.logger.debug('database notifications: not connected; retrying', { error: (error as Error).message });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  private dispatch(channel: string): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler();
      } catch (error) {
        this.logger.warn('database notifications: a handler failed', { channel, error: (error as Error).message });
      }
    }
  }
}

function quoteChannel(channel: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  return channel;
}
