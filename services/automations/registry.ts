// The in-memory view of the enabled automations that routing consults for every event. It indexes them by the event
// names their triggers expect, so finding an event's candidates does not scan them all, and it follows changes made
// by any tripwire process by polling a counter of changes kept by the database (migration 0008): a change made in
// another process is seen within the poll interval (one second), and at once on PostgreSQL, whose trigger notifies
// every process (services/replicas/notifications.ts).
import type { AutomationRecord, AutomationRepository } from '../../db/automations';
import { getLabel } from '../../core/events/matching';
import { EventNameIndex } from '../../core/events/name-index';
import type { Event } from '../../core/events/schema';
import type { Logger } from '../logging/logger';
import type { AutomationSnapshot } from '../../workflows/messages';
import type { Trigger } from '../../core/triggers/schema';
import { coverage, eventNamePatterns, requiredResourceIds } from '../../core/automations/covers';
import { RESOURCE_ID_LABEL } from '../../core/resources';

export interface RoutedAutomation {
  snapshot: AutomationSnapshot;
  workflowId: string;
}

interface Indexed extends RoutedAutomation {
  covers: (event: Event) => boolean;
}

/** Enabled automations, indexed for routing. */
export class AutomationRegistry {
  private byId = new Map<string, Indexed>();
  private index = new EventNameIndex<string>();
  // Automations whose every leaf names its primary resource ids, by those ids; the rest take any resource. Many
  // automations share an event name (one per resource), and testing each one's match against every event was a
  // fifth of the router's time with a hundred of them.
  private byResourceId = new Map<string, Set<string>>();
  private anyResource = new Set<string>();
  private version: number | undefined;
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
      if (!force && version === this.version) return;
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
    const byId = new Map<string, Indexed>();
    const index = new EventNameIndex<string>();
    const byResourceId = new Map<string, Set<string>>();
    const anyResource = new Set<string>();
    for (const record of records) {
      if (!record.enabled) continue;
      const routed = toRouted(record);
      const trigger = routed.snapshot.trigger;
      byId.set(record.id, { ...routed, covers: coverage(trigger) });
      index.add(eventNamePatterns(trigger), record.id);
      const resourceIds = requiredResourceIds(trigger);
      if (!resourceIds) anyResource.add(record.id);
      for (const resourceId of resourceIds ?? []) {
        const ids = byResourceId.get(resourceId) ?? new Set<string>();
        ids.add(record.id);
        byResourceId.set(resourceId, ids);
      }
    }
    this.byId = byId;
    this.index = index;
    this.byResourceId = byResourceId;
    this.anyResource = anyResource;
  }

  /** Returns the automations whose triggers cover `event`. */
  candidates(event: Event): RoutedAutomation[] {
    const out: RoutedAutomation[] = [];
    this.eachCovering(event, (routed) => {
      out.push(routed);
      return true;
    });
    return out;
  }

  /** True when at least one automation covers `event`. */
  mayRoute(event: Event): boolean {
    let found = false;
    this.eachCovering(event, () => {
      found = true;
      return false;
    });
    return found;
  }

  /** Calls `visit` with each automation covering `event` until it returns false. */
  private eachCovering(event: Event, visit: (routed: Indexed) => boolean): void {
    const resourceId = getLabel(event.resource, RESOURCE_ID_LABEL);
    const named = resourceId === undefined ? undefined : this.byResourceId.get(resourceId);
    const ids =
      this.anyResource.size === 0
        ? [...(named ?? [])].filter((id) => this.index.accepts(id, event.event))
        : [...this.index.candidates(event.event)].filter((id) => this.anyResource.has(id) || named?.has(id));
    for (const id of ids) {
      const routed = this.byId.get(id)!;
      if (routed.covers(event) && !visit(routed)) return;
    }
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
