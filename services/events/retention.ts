// Deletes events older than the retention period in the background, in batches, so the feed's table stays bounded.
import type { EventRepository } from '../../db/events';
import type { Logger } from '../logging/logger';

/** Prunes the event feed every `intervalMs`. */
export class EventRetention {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly events: EventRepository,
    private readonly retentionSeconds: number,
    private readonly logger: Logger,
    private readonly intervalMs = 10 * 60 * 1000,
  ) {}

  start(): void {
    const run = () => {
      this.pruneNow().catch((error: unknown) =>
        this.logger.warn('event pruning failed', { error: (error as Error).message }),
      );
    };
    this.timer = setInterval(run, this.intervalMs);
    this.timer.unref();
    setTimeout(run, 5000).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Deletes every event received before now − retention; returns how many. */
  async pruneNow(now = Date.now()): Promise<number> {
    const cutoff = new Date(now - this.retentionSeconds * 1000).toISOString();
    let total = 0;
    for (let deleted = await this.events.prune(cutoff); deleted > 0; deleted = await this.events.prune(cutoff)) {
      total += deleted;
    }
    if (total > 0) this.logger.info('pruned old events', { deleted: total, before: cutoff });
    return total;
  }
}
