// Drains the event outbox into the trigger workflows. Delivery is at-least-once: an outbox row is deleted only after
// every automation that wants its event has been signalled, and a failure (Temporal down) postpones it with backoff.
// Trigger workflows de-duplicate by event id, so a redelivery never counts twice.
import type { EventRepository, OutboxEntry } from '../db/events';
import type { ReceivedEvent } from '../events/schema';
import type { Logger } from '../logging/logger';
import type { AutomationRegistry, RoutedAutomation } from '../automations/registry';

export type Deliver = (target: RoutedAutomation, events: ReceivedEvent[]) => Promise<void>;

export interface RouterOptions {
  batchSize?: number;
  /** How often the outbox is polled when nobody calls notify() (other tripwire processes write to it too). */
  pollIntervalMs?: number;
  /** Signals in flight at once. */
  concurrency?: number;
  /** Largest JSON size of the events in one signal; Temporal's payload limit is 2 MiB. */
  maxSignalBytes?: number;
}

/** Moves events from the outbox to the workflows of the automations that cover them. */
export class EventRouter {
  private wake: (() => void) | undefined;
  private notified = false;
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly maxSignalBytes: number;

  constructor(
    private readonly events: EventRepository,
    private readonly registry: AutomationRegistry,
    private readonly deliver: Deliver,
    private readonly logger: Logger,
    options: RouterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.concurrency = options.concurrency ?? 16;
    this.maxSignalBytes = options.maxSignalBytes ?? 1_800_000;
  }

  /** Starts draining in the background. */
  start(): void {
    this.stopping = false;
    this.running ??= this.loop();
  }

  /** Asks for a drain now (after events were stored). */
  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Stops after the current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let drained = 0;
      try {
        this.notified = false;
        drained = await this.drainOnce();
      } catch (error) {
        this.logger.warn('event routing failed; retrying', { error: (error as Error).message });
      }
      if (drained >= this.batchSize || this.notified || this.stopping) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Routes one batch of due outbox entries; returns how many entries it took. */
  async drainOnce(now = new Date()): Promise<number> {
    const entries = await this.events.dueOutbox(now.toISOString(), this.batchSize);
    if (entries.length === 0) return 0;
    await this.registry.refresh();

    const groups = new Map<string, { target: RoutedAutomation; events: ReceivedEvent[] }>();
    const targetsOf = new Map<string, string[]>();
    for (const entry of entries) {
      const targets = this.registry.candidates(entry.event);
      targetsOf.set(
        entry.event.id,
        targets.map((t) => t.workflowId),
      );
      for (const target of targets) {
        const group = groups.get(target.workflowId) ?? { target, events: [] };
        group.events.push(entry.event);
        groups.set(target.workflowId, group);
      }
    }

    const failed = new Map<string, string>();
    const queue = [...groups.values()];
    const workers = Array.from({ length: Math.min(this.concurrency, queue.length) }, async () => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        const ordered = [...group.events].sort((a, b) =>
          a.occurred < b.occurred ? -1 : a.occurred > b.occurred ? 1 : 0,
        );
        try {
          for (const chunk of this.chunkBySize(ordered)) await this.deliver(group.target, chunk);
        } catch (error) {
          failed.set(group.target.workflowId, (error as Error).message);
        }
      }
    });
    await Promise.all(workers);

    const done: OutboxEntry[] = [];
    const retry: OutboxEntry[] = [];
    for (const entry of entries) {
      const targets = targetsOf.get(entry.event.id) ?? [];
      (targets.some((t) => failed.has(t)) ? retry : done).push(entry);
    }
    if (done.length > 0) await this.events.completeOutbox(done.map((e) => e.event.id));
    if (retry.length > 0) {
      const reason = [...failed.values()][0] ?? 'delivery failed';
      const attempts = Math.max(...retry.map((e) => e.attempts));
      const delayMs = Math.min(60_000, 500 * 2 ** Math.min(attempts, 7));
      this.logger.warn('event delivery to trigger workflows failed; will retry', {
        events: retry.length,
        retry_in_ms: delayMs,
        error: reason,
      });
      await this.events.retryOutbox(
        retry.map((e) => e.event.id),
        new Date(now.getTime() + delayMs).toISOString(),
        reason,
      );
    }
    return entries.length;
  }

  private *chunkBySize(events: ReceivedEvent[]): Generator<ReceivedEvent[]> {
    let chunk: ReceivedEvent[] = [];
    let size = 0;
    for (const event of events) {
      const bytes = JSON.stringify(event).length;
      if (chunk.length > 0 && (size + bytes > this.maxSignalBytes || chunk.length >= 500)) {
        yield chunk;
        chunk = [];
        size = 0;
      }
      chunk.push(event);
      size += bytes;
    }
    if (chunk.length > 0) yield chunk;
  }
}
