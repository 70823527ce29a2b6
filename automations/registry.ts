// The in-memory view of the enabled automations that routing consults for every event. It indexes them by the event
// names their triggers expect, so finding an event's candidates does not scan them all, and it follows changes made
// by any tripwire process by polling a cheap version stamp.
import type { AutomationRecord, AutomationRepository, AutomationsVersion } from '../db/automations';
import { EventNameIndex } from '../events/name-index';
import type { Event } from '../events/schema';
import type { Logger } from '../logging/logger';
import type { AutomationSnapshot } from '../workflows/messages';
import type { Trigger } from '../triggers/schema';
import { coversEvent, eventNamePatterns } from './covers';

export interface RoutedAutomation {
  snapshot: AutomationSnapshot;
  workflowId: string;
}

/** Enabled automations, indexed for routing. */
export class AutomationRegistry {
  private byId = new Map<string, RoutedAutomation>();
  private index = new EventNameIndex<string>();
  private version: AutomationsVersion | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly repository: AutomationRepository,
    private readonly logger: Logger,
    private readonly pollIntervalMs = 1000,
  ) {}

  /** Loads every enabled automation and starts following changes. */
  async start(): Promise<void> {
    await this.refresh(true);
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger.warn('automation registry refresh failed', { error: (error as Error).message }),
      );
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reloads when the stored set changed since the last load (or always, with `force`). */
  async refresh(force = false): Promise<void> {
    if (this.refreshing && !force) return this.refreshing;
    // A forced refresh follows a change this process just made; one already in flight may have read before it.
    const before = this.refreshing?.catch(() => undefined);
    const current = (async () => {
      await before;
      const version = await this.repository.version();
      if (!force && this.version && version.count === this.version.count && version.updated === this.version.updated) {
        return;
      }
      this.load(await this.repository.list({ enabledOnly: true }));
      this.version = version;
    })().finally(() => {
      if (this.refreshing === current) this.refreshing = undefined;
    });
    this.refreshing = current;
    return current;
  }

  /** Replaces the registry's contents with `records` (enabled ones only are kept). */
  load(records: AutomationRecord[]): void {
    const byId = new Map<string, RoutedAutomation>();
    const index = new EventNameIndex<string>();
    for (const record of records) {
      if (!record.enabled) continue;
      const routed = toRouted(record);
      byId.set(record.id, routed);
      index.add(eventNamePatterns(routed.snapshot.trigger), record.id);
    }
    this.byId = byId;
    this.index = index;
  }

  /** Returns the automations whose triggers cover `event`. */
  candidates(event: Event): RoutedAutomation[] {
    const out: RoutedAutomation[] = [];
    for (const id of this.index.candidates(event.event)) {
      const routed = this.byId.get(id);
      if (routed && coversEvent(routed.snapshot.trigger, event)) out.push(routed);
    }
    return out;
  }

  /** True when at least one automation covers `event`. */
  mayRoute(event: Event): boolean {
    for (const id of this.index.candidates(event.event)) {
      const routed = this.byId.get(id);
      if (routed && coversEvent(routed.snapshot.trigger, event)) return true;
    }
    return false;
  }

  get size(): number {
    return this.byId.size;
  }
}

/** Returns the snapshot a workflow receives for `record`. */
export function toSnapshot(record: AutomationRecord): AutomationSnapshot {
  return {
    id: record.id,
    name: record.name,
    enabled: record.enabled,
    trigger: record.trigger as Trigger,
    actions: record.actions,
    actions_on_trigger: record.actions_on_trigger,
    actions_on_resolve: record.actions_on_resolve,
    updated: record.updated,
  };
}

function toRouted(record: AutomationRecord): RoutedAutomation {
  return { snapshot: toSnapshot(record), workflowId: record.workflow_id };
}
