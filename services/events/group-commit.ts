// Group commit: concurrent callers' events share one transaction. A write waits for the rest of the current turn of
// the event loop (setImmediate), so the requests Node has already read join it; whoever arrives while the writes in
// flight are at their limit goes out with the next one. A busy ingress so pays one commit per batch instead of one
// per request, and a quiet one waits for one loop turn. (better-sqlite3 is synchronous: without the wait no two writes would overlap.)
import type { EventRepository } from '../../db/events';
import type { ReceivedEvent } from '../../core/events/schema';

interface Pending {
  events: ReceivedEvent[];
  route: ReadonlySet<string>;
  /** The traceparent the routed events' outbox rows carry (tracing on). */
  trace: string | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** Most events in one transaction; a larger backlog goes out in several. */
const MAX_BATCH_EVENTS = 2000;

/** Writes events through `events.insert`, batching the callers that overlap. */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;

  /**
   * `maxInFlight` above 1 lets the next batch go out before the previous one is committed; only for a store that
   * applies writes in the order it receives them (SQLite's writer thread), so sequence numbers stay in commit order.
   */
  constructor(
    private readonly events: EventRepository,
    private readonly maxInFlight = 1,
    /** Called with the number of events a commit newly stored. */
    private readonly onCommitted?: (stored: number) => void,
  ) {}

  /** Resolves once `events` (with outbox rows for the ids in `route`, carrying `trace`) are committed. */
  write(events: ReceivedEvent[], route: ReadonlySet<string>, trace?: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, route, trace, resolve, reject });
      this.schedule();
    });
  }

  // Waits for the rest of this turn of the event loop, so the requests Node has already read join the batch.
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
        this.inFlight += 1;
        void this.commit(this.take()).finally(() => {
          this.inFlight -= 1;
          this.schedule();
        });
      }
    });
  }

  private take(): Pending[] {
    let count = 0;
    let taken = 0;
    while (taken < this.queue.length && (taken === 0 || count + this.queue[taken]!.events.length <= MAX_BATCH_EVENTS)) {
      count += this.queue[taken]!.events.length;
      taken += 1;
    }
    return this.queue.splice(0, taken);
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      const route = new Set(batch.flatMap((pending) => [...pending.route]));
      const stored = await this.events.insert(
        batch.flatMap((pending) => pending.events),
        route,
        tracesOf(batch),
      );
      this.onCommitted?.(stored.length);
      for (const pending of batch) pending.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One caller's events must not fail the others: retry each alone, so each gets its own answer.
      for (const pending of batch) {
        try {
          const stored = await this.events.insert(pending.events, pending.route, tracesOf([pending]));
          this.onCommitted?.(stored.length);
          pending.resolve();
        } catch (own) {
          pending.reject(own);
        }
      }
    }
  }
}

/** The traceparent of each routed event of `batch`, or undefined when none carries one (tracing off). */
function tracesOf(batch: Pending[]): Map<string, string> | undefined {
  let traces: Map<string, string> | undefined;
  for (const { trace, route } of batch) {
    if (trace === undefined) continue;
    traces ??= new Map();
    for (const id of route) traces.set(id, trace);
  }
  return traces;
}
