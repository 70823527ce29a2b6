// Drains the event outbox into the trigger workflows. Delivery is at-least-once: an outbox row is deleted only after
// every automation that wants its event has been signalled, and a failure (Temporal down) postpones it with backoff.
// Trigger workflows de-duplicate by event id, so a redelivery never counts twice.
//
// Several api processes on one PostgreSQL each run a router, but only the one holding the router's lease (a `gate`)
// drains the outbox; the others stand by and take over when its holder stops renewing it (it died, or lost the
// database). One router at a time is what keeps each automation's events in outbox order across processes, and makes
// the rollover hold below (gateway.ts) hold for every process: two routers taking alternate batches would race each
// other's signals to the same workflow. A process that loses the lease mid-batch stops before its next signal and
// leaves the rest of the batch to the new holder (the workflows ignore what they already had). Events stored in a
// process without the lease are announced to the holder (`elsewhere`), so it need not wait for its next poll.
//
// Order: each automation's workflow gets its events in outbox order (and, within one batch, in `occurred` order). Once
// a workflow's events are held back (its run is rolling over) or their delivery failed, the router holds back the
// workflow's newer events too, until the older ones are offered again: they would overtake them otherwise, since a
// postponed entry is due later than a newer one that was never postponed.
//
// Causal order (`follows`): a workflow sees only the events its automation covers, so it cannot tell on its own
// whether a follower's leader has reached tripwire. The router can: a follower whose leader is not stored yet stays
// in the outbox (up to 15 minutes after receipt, Prefect's lookback); once the leader is stored, a workflow that the
// leader would not reach is told so with the follower, and processes it at once.
import type { EventRepository, OutboxEntry } from '../../db/events';
import type { ReceivedEvent } from '../../core/events/schema';
import type { Logger } from '../logging/logger';
import { WakeSignal } from '../events/wake-signal';
import type { AutomationRegistry, RoutedAutomation } from './registry';
import type { Metrics } from '../metrics/metrics';
import type { Tracing } from '../tracing/tracing';

/** What became of a delivery: signalled, or held back because the workflow is rolling over (offered again soon). */
export type Delivery = 'delivered' | 'held';

/** Signals `events` to the target's workflow. */
export type Deliver = (target: RoutedAutomation, events: ReceivedEvent[], leaders: string[]) => Promise<Delivery>;

/** How long a follower waits in the outbox for its leader (Prefect's PRECEDING_EVENT_LOOKBACK). */
export const FOLLOWER_LOOKBACK_MS = 15 * 60 * 1000;
/** How soon a follower whose leader has not arrived is looked at again. */
const LEADER_RECHECK_MS = 1000;
/** How soon events held for a workflow that is rolling over are offered again. */
const HOLD_RECHECK_MS = 25;

/** Decides which process may route: the holder of a lease shared by every process on the same database. */
export interface RouterGate {
  /** Resolves true when this process may route now, taking the lease if it is free; cheap to call in a loop. */
  acquire(): Promise<boolean>;
  /** True while the lease is surely still this process's: checked right before every signal. */
  holds(): boolean;
  /** Changes each time this process takes the lease anew (another process may have routed in between). */
  readonly tenure: number;
  /** Gives the lease back, so another process routes without waiting for it to expire. */
  release(): Promise<void>;
}

export interface RouterOptions {
  batchSize?: number;
  /** How often the outbox is polled when nobody calls notify() (other tripwire processes write to it too). */
  pollIntervalMs?: number;
  /** Signals in flight at once. */
  concurrency?: number;
  /** Largest JSON size of the events in one signal; Temporal's payload limit is 2 MiB. */
  maxSignalBytes?: number;
  metrics?: Pick<Metrics, 'routerDeliveries' | 'routerDeliveryLatency' | 'routerSignalDuration'>;
  /** When tracing is on, each delivery is a span continuing the trace its events' outbox rows carry. */
  tracing?: Tracing;
  /** Several processes share the outbox: only the holder of this gate routes. Absent, this process always routes. */
  gate?: RouterGate;
  /** Tells the process that routes (when it is another one) that events were stored. */
  elsewhere?: () => void;
}

/** Moves events from the outbox to the workflows of the automations that cover them. */
export class EventRouter {
  private readonly wakeSignal = new WakeSignal();
  /** Set when a drain held events back, so the next one comes after HOLD_RECHECK_MS instead of the poll interval. */
  private heldBack = false;
  /** Workflows whose events wait in the outbox (held back or failed), with when they are due again (epoch ms). */
  private readonly blocked = new Map<string, number>();
  /** The gate's tenure this process last routed in, to notice taking the routing over. */
  private routedInTenure: number | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly maxSignalBytes: number;
  private readonly metrics: RouterOptions['metrics'];
  private readonly tracing: Tracing | undefined;
  private readonly gate: RouterGate | undefined;
  private readonly elsewhere: (() => void) | undefined;

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
    this.metrics = options.metrics;
    this.tracing = options.tracing;
    this.gate = options.gate;
    this.elsewhere = options.elsewhere;
  }

  /** Starts draining in the background. */
  start(): void {
    this.stopping = false;
    this.running ??= this.loop();
  }

  /** Asks for a drain now (after events were stored in this process), here or in the process that routes. */
  notify(): void {
    this.wakeSignal.notify();
    if (!this.routing) this.elsewhere?.();
  }

  /** Asks for a drain now because another process stored events; only the routing process acts on it. */
  wake(): void {
    this.wakeSignal.notify();
  }

  /** True when this process routes the outbox now. */
  get routing(): boolean {
    return this.running !== undefined && (this.gate === undefined || this.gate.holds());
  }

  /** Stops after the current batch, and gives the gate back. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSignal.interrupt();
    await this.running;
    this.running = undefined;
    await this.gate
      ?.release()
      .catch((error: unknown) =>
        this.logger.warn('could not give the router lease back', { error: (error as Error).message }),
      );
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (this.gate && !(await this.gate.acquire())) {
        // Standing by: another process routes. Looking again is cheap (the gate rate-limits its database reads).
        await this.wakeSignal.sleep(this.pollIntervalMs);
        continue;
      }
      let drained = 0;
      try {
        if (this.gate && this.gate.tenure !== this.routedInTenure) await this.takeOver(this.gate.tenure);
        this.wakeSignal.takeNotified();
        drained = await this.drainOnce();
      } catch (error) {
        this.logger.warn('event routing failed; retrying', { error: (error as Error).message });
      }
      if (drained >= this.batchSize || this.wakeSignal.takeNotified() || this.stopping) continue;
      const pause = this.heldBack ? Math.min(HOLD_RECHECK_MS, this.pollIntervalMs) : this.pollIntervalMs;
      this.heldBack = false;
      await this.wakeSignal.sleep(pause);
    }
  }

  /**
   * Starts routing after another process did: what this process remembered of blocked workflows is stale, and entries
   * the previous holder postponed after a failed delivery are offered at once, so that newer ones cannot overtake them.
   */
  private async takeOver(tenure: number): Promise<void> {
    this.blocked.clear();
    await this.events.retryOutboxNow(new Date().toISOString());
    this.routedInTenure = tenure;
  }

  /** Routes one batch of due outbox entries; returns how many entries it took. */
  async drainOnce(now = new Date()): Promise<number> {
    const due = await this.events.dueOutbox(now.toISOString(), this.batchSize);
    if (due.length === 0) return 0;
    await this.registry.refresh();

    const leaders = await this.leadersOf(due.map((entry) => entry.event));
    const waiting = new Set(
      due.filter(
        (entry) =>
          hasLeader(entry.event) &&
          !leaders.has(entry.event.follows) &&
          now.getTime() - Date.parse(entry.event.received) < FOLLOWER_LOOKBACK_MS,
      ),
    );
    if (waiting.size > 0) {
      // Waiting is not failing: the attempts that set the backoff after a failed delivery stay as they are.
      await this.events.postponeOutbox(
        [...waiting].map((entry) => entry.event.id),
        new Date(now.getTime() + LEADER_RECHECK_MS).toISOString(),
      );
    }
    const entries = due.filter((entry) => !waiting.has(entry));
    const traces = this.tracing ? new Map(entries.map((entry) => [entry.event.id, entry.trace])) : undefined;

    const groups = new Map<string, { target: RoutedAutomation; events: ReceivedEvent[]; leaders: Set<string> }>();
    const targetsOf = new Map<string, string[]>();
    const reachedBy = new Map<string, Set<string>>();
    for (const entry of entries) {
      const targets = this.registry.candidates(entry.event);
      targetsOf.set(
        entry.event.id,
        targets.map((t) => t.workflowId),
      );
      const leader = hasLeader(entry.event) ? leaders.get(entry.event.follows) : undefined;
      let leaderTargets: Set<string> | undefined;
      if (leader) {
        leaderTargets = reachedBy.get(leader.id) ?? new Set(this.registry.candidates(leader).map((t) => t.workflowId));
        reachedBy.set(leader.id, leaderTargets);
      }
      for (const target of targets) {
        const group = groups.get(target.workflowId) ?? { target, events: [], leaders: new Set<string>() };
        group.events.push(entry.event);
        if (leader && !leaderTargets?.has(target.workflowId)) group.leaders.add(leader.id);
        groups.set(target.workflowId, group);
      }
    }

    const delivered = new Set<string>();
    const failed = new Map<string, string>();
    const held = new Set<string>();
    let gateLost = false;
    // A workflow whose older events wait in the outbox gets none of the newer ones before them.
    const queue = [...groups.values()].filter((group) => {
      const until = this.blocked.get(group.target.workflowId);
      if (until === undefined || until <= now.getTime()) return true;
      held.add(group.target.workflowId);
      return false;
    });
    const workers = Array.from({ length: Math.min(this.concurrency, queue.length) }, async () => {
      for (let group = queue.shift(); group && !gateLost; group = queue.shift()) {
        const ordered = [...group.events].sort((a, b) =>
          a.occurred < b.occurred ? -1 : a.occurred > b.occurred ? 1 : 0,
        );
        try {
          let complete = true;
          for (const chunk of this.chunkBySize(ordered)) {
            if (this.gate && !this.gate.holds()) {
              gateLost = true;
              complete = false;
              break;
            }
            const follows = new Set(chunk.map((event) => event.follows));
            const leaders = [...group.leaders].filter((id) => follows.has(id));
            const delivery = await this.deliverChunk(group.target, chunk, leaders, traces);
            if (delivery === 'held') {
              held.add(group.target.workflowId);
              this.block(group.target.workflowId, now.getTime() + HOLD_RECHECK_MS);
              complete = false;
              break;
            }
          }
          if (complete) {
            delivered.add(group.target.workflowId);
            this.blocked.delete(group.target.workflowId);
          }
        } catch (error) {
          this.metrics?.routerDeliveries.inc({ result: 'failed' });
          failed.set(group.target.workflowId, (error as Error).message);
        }
      }
    });
    await Promise.all(workers);

    const done: OutboxEntry[] = [];
    const retry: OutboxEntry[] = [];
    const later: OutboxEntry[] = [];
    for (const entry of entries) {
      const targets = targetsOf.get(entry.event.id) ?? [];
      if (targets.some((t) => failed.has(t))) retry.push(entry);
      else if (targets.some((t) => held.has(t))) later.push(entry);
      else if (targets.every((t) => delivered.has(t))) done.push(entry);
      // Otherwise the gate was lost before this entry's turn: the process that holds it now routes the entry.
    }
    if (done.length > 0) await this.events.completeOutbox(done.map((e) => e.event.id));
    if (gateLost) {
      // Without the lease, postponing entries would only delay the process that routes now.
      this.logger.warn('router lease lost during a batch; the process holding it now routes the rest');
      return due.length;
    }
    if (retry.length > 0) {
      const reason = [...failed.values()][0] ?? 'delivery failed';
      const attempts = Math.max(...retry.map((e) => e.attempts));
      const delayMs = Math.min(60_000, 500 * 2 ** Math.min(attempts, 7));
      this.logger.warn('event delivery to trigger workflows failed; will retry', {
        events: retry.length,
        retry_in_ms: delayMs,
        error: reason,
      });
      // Not only the workflows that failed: every workflow an entry has not reached yet waits for it.
      for (const entry of retry)
        this.blockUndelivered(targetsOf.get(entry.event.id), delivered, now.getTime() + delayMs);
      await this.events.retryOutbox(
        retry.map((e) => e.event.id),
        new Date(now.getTime() + delayMs).toISOString(),
        reason,
      );
    }
    if (later.length > 0) {
      // Held is not failed either; targets that already got these events ignore them the second time. Each entry
      // waits as long as the longest-blocked of its workflows, so it comes due with the older events it must follow.
      this.heldBack = true;
      const byTime = new Map<number, string[]>();
      for (const entry of later) {
        const targets = targetsOf.get(entry.event.id);
        // Not later than the blocked workflows' own time: moving that on at every drain (and new events bring one
        // every few milliseconds) would hold them until the stream paused.
        const blockedUntil = Math.max(0, ...(targets ?? []).map((t) => this.blocked.get(t) ?? 0));
        const until = blockedUntil > now.getTime() ? blockedUntil : now.getTime() + HOLD_RECHECK_MS;
        this.blockUndelivered(targets, delivered, until);
        const ids = byTime.get(until) ?? [];
        ids.push(entry.event.id);
        byTime.set(until, ids);
      }
      for (const [until, ids] of byTime) await this.events.postponeOutbox(ids, new Date(until).toISOString());
    }
    return due.length;
  }

  /** Delivers one chunk, measured, and traced when tracing is on. */
  private async deliverChunk(
    target: RoutedAutomation,
    chunk: ReceivedEvent[],
    leaders: string[],
    traces: Map<string, string | undefined> | undefined,
  ): Promise<Delivery> {
    const started = performance.now();
    const delivery =
      this.tracing && traces
        ? await this.tracing.spanFrom(
            'tripwire.route',
            chunk.map((event) => traces.get(event.id)),
            { 'tripwire.automation.id': target.snapshot.id, 'tripwire.events': chunk.length },
            async (span) => {
              const result = await this.deliver(target, chunk, leaders);
              span.setAttribute('tripwire.delivery', result);
              return result;
            },
          )
        : await this.deliver(target, chunk, leaders);
    const metrics = this.metrics;
    if (metrics) {
      const now = Date.now();
      metrics.routerSignalDuration.observe((performance.now() - started) / 1000);
      metrics.routerDeliveries.inc({ result: delivery });
      if (delivery === 'delivered') {
        for (const event of chunk) metrics.routerDeliveryLatency.observe((now - Date.parse(event.received)) / 1000);
      }
    }
    return delivery;
  }

  /** Holds back the events of each of `targets` not in `delivered` until `until` (epoch ms). */
  private blockUndelivered(targets: string[] | undefined, delivered: Set<string>, until: number): void {
    for (const target of targets ?? []) if (!delivered.has(target)) this.block(target, until);
  }

  /** Holds back `workflowId`'s events until `until` (epoch ms), or longer if it is held longer already. */
  private block(workflowId: string, until: number): void {
    // Workflows are forgotten once delivered to; this bounds the map should many fail at once and then vanish.
    if (this.blocked.size >= 10_000 && !this.blocked.has(workflowId)) this.blocked.clear();
    this.blocked.set(workflowId, Math.max(until, this.blocked.get(workflowId) ?? 0));
  }

  /** Returns the stored leaders of `events` by id. */
  private async leadersOf(events: ReceivedEvent[]): Promise<Map<string, ReceivedEvent>> {
    const ids = [...new Set(events.filter(hasLeader).map((event) => event.follows))];
    if (ids.length === 0) return new Map();
    return new Map((await this.events.getMany(ids)).map((event) => [event.id, event]));
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

function hasLeader(event: ReceivedEvent): event is ReceivedEvent & { follows: string } {
  return typeof event.follows === 'string' && event.follows !== event.id;
}
