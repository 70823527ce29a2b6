// The live feed of stored events for subscribers in this process (Prefect's /api/events/out). One reader per process
// follows the events table by sequence number and hands each new event, parsed once, to every subscriber; events
// stored by other tripwire processes arrive the same way, since the reader follows the database, not the pipeline.
//
// On PostgreSQL a sequence number is taken before its transaction commits, so a lower number can become visible
// after a higher one. The reader remembers the numbers it skipped and looks for them again for a while (a number
// whose transaction rolled back, or whose insert was a duplicate, never appears). SQLite commits one writer at a
// time, in sequence order, so there it never skips.
import type { EventRepository, StoredEvent } from '../../db/events';
import type { Logger } from '../logging/logger';
import { WakeSignal } from './wake-signal';

/** Receives new events with their sequence numbers; on PostgreSQL a late commit can come with a lower one. */
export type FeedListener = (events: StoredEvent[]) => void;
/** Told when the feed cannot read the database (`true`, once per outage) and when it reads again (`false`). */
export type OutageListener = (down: boolean) => void;

export interface EventFeedOptions {
  /** How often the table is read while someone listens and nothing in this process said events were stored. */
  pollIntervalMs?: number;
  /** Rows read per round trip. */
  batchSize?: number;
  /** How long a skipped sequence number is looked for before it counts as never committed. */
  lateCommitMs?: number;
}

/** Most skipped sequence numbers remembered at once; a larger jump is a sequence cache, not open transactions. */
const MAX_TRACKED_GAPS = 10_000;

/** Follows the events table and fans new events out to subscribers. Idle (no reads) while nobody listens. */
export class EventFeed {
  private readonly listeners = new Map<FeedListener, OutageListener | undefined>();
  private cursor: number | undefined;
  private readonly gaps = new Map<number, number>();
  private running: Promise<void> | undefined;
  private readonly wakeSignal = new WakeSignal();
  private failing = false;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly lateCommitMs: number;

  constructor(
    private readonly events: EventRepository,
    private readonly logger: Logger,
    options: EventFeedOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.batchSize = options.batchSize ?? 500;
    this.lateCommitMs = options.lateCommitMs ?? 10_000;
  }

  /**
   * Adds `listener`; resolves once it is registered, with a function that removes it. Every event committed after
   * this resolves reaches the listener (events committed shortly before may too).
   */
  async subscribe(listener: FeedListener, onOutage?: OutageListener): Promise<() => void> {
    this.cursor ??= await this.events.latestSeq();
    this.listeners.set(listener, onOutage);
    this.running ??= this.loop();
    return () => {
      this.listeners.delete(listener);
      this.wakeSignal.interrupt();
    };
  }

  /** Says events were just stored in this process, so subscribers get them now rather than at the next poll. */
  notify(): void {
    this.wakeSignal.notify();
  }

  /** Drops every subscriber and stops reading. */
  async stop(): Promise<void> {
    this.listeners.clear();
    this.wakeSignal.interrupt();
    await this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (this.listeners.size > 0) {
        let read = 0;
        try {
          this.wakeSignal.takeNotified();
          read = await this.readOnce();
          if (this.failing) {
            this.logger.info('event feed: reading new events again');
            this.tellOutage(false);
          }
          this.failing = false;
        } catch (error) {
          // Once per outage, not once per poll.
          if (!this.failing) {
            this.logger.warn('event feed: reading new events failed; retrying', { error: (error as Error).message });
            this.tellOutage(true);
          }
          this.failing = true;
        }
        if (read >= this.batchSize || this.wakeSignal.takeNotified() || this.listeners.size === 0) continue;
        await this.wakeSignal.sleep(this.pollIntervalMs);
      }
    } finally {
      this.running = undefined;
      // Nobody listens: the next subscriber starts from the newest event then, not from where this one stopped.
      this.cursor = undefined;
      this.gaps.clear();
    }
  }

  private tellOutage(down: boolean): void {
    for (const onOutage of this.listeners.values()) onOutage?.(down);
  }

  /** Reads what was committed since the last read and hands it out; returns how many new rows it read. */
  private async readOnce(now = Date.now()): Promise<number> {
    const from = this.cursor ?? 0;
    const rows = await this.events.after({}, from, this.batchSize);
    const late = this.gaps.size > 0 ? await this.events.bySeq([...this.gaps.keys()]) : [];
    if (!this.events.writesInOrder) {
      let expected = from + 1;
      for (const row of rows) {
        for (let seq = expected; seq < row.seq && this.gaps.size < MAX_TRACKED_GAPS; seq++) this.gaps.set(seq, now);
        expected = row.seq + 1;
      }
    }
    for (const row of late) this.gaps.delete(row.seq);
    for (const [seq, since] of this.gaps) if (now - since > this.lateCommitMs) this.gaps.delete(seq);
    if (rows.length > 0) this.cursor = rows.at(-1)!.seq;

    const fresh = [...late, ...rows];
    if (fresh.length > 0) {
      for (const listener of this.listeners.keys()) {
        try {
          listener(fresh);
        } catch (error) {
          this.logger.warn('event feed: a subscriber failed', { error: (error as Error).message });
        }
      }
    }
    return rows.length;
  }
}
