// Automation management: validation beyond the schema (loop guard), trigger ids, storage, audit events, and keeping
// each automation's workflow in step with its definition. A Temporal outage never loses a saved automation: the
// reconciler brings its workflow up to date once Temporal answers again.
import crypto from 'node:crypto';
import type { AutomationRecord, AutomationRepository } from '../../db/automations';
import type { Event } from '../../core/events/schema';
import type { IngestPipeline } from '../events/pipeline';
import type { Logger } from '../logging/logger';
import type { AutomationGateway } from './gateway';
import { assignTriggerIds, type Trigger } from '../../core/triggers/schema';
import { automationWorkflowId } from '../../workflows/ids';
import type { AutomationStateView } from '../../workflows/messages';
import { sameTriggerDefinition } from '../../core/triggers/compatibility';
import type { Action } from '../../core/automations/action-schema';
import { infiniteLoopProblem } from '../../core/automations/loop-guard';
import { validateParameterTemplates } from '../actions/run-parameters';
import { type AutomationRegistry, toSnapshot } from './registry';
import type { AutomationInput } from '../../core/automations/schema';
import { resourceIdFor } from '../../core/resources';
import { TripwireError } from '../../core/errors';

/** Thrown when an automation is valid JSON but cannot be accepted; `path` names the field. */
export class AutomationRejected extends TripwireError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('UNPROCESSABLE', message, [{ path, message }]);
    this.name = 'AutomationRejected';
  }
}

export type AutomationView = AutomationRecord<Trigger, Action>;

/** Creates, changes and removes automations and keeps their workflows in step. */
export class AutomationService {
  private readonly unsynced = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: AutomationRepository,
    private readonly gateway: AutomationGateway,
    private readonly registry: AutomationRegistry,
    private readonly pipeline: IngestPipeline,
    private readonly logger: Logger,
  ) {}

  async list(owner?: string): Promise<AutomationView[]> {
    return (await this.repository.list({ owner })) as AutomationView[];
  }

  async get(id: string): Promise<AutomationView | undefined> {
    return (await this.repository.get(id)) as AutomationView | undefined;
  }

  async create(input: AutomationInput): Promise<AutomationView> {
    this.validate(input);
    const now = new Date().toISOString();
    const id = crypto.randomUUID();
    const record: AutomationView = {
      id,
      name: input.name,
      description: input.description,
      enabled: input.enabled,
      trigger: assignTriggerIds(input.trigger, () => crypto.randomUUID()),
      actions: input.actions,
      actions_on_trigger: input.actions_on_trigger,
      actions_on_resolve: input.actions_on_resolve,
      owner_resource: input.owner_resource ?? null,
      tags: input.tags,
      workflow_id: automationWorkflowId(input.name, id),
      created: now,
      updated: now,
    };
    await this.repository.create(record);
    await this.audit('created', record);
    await this.sync(record);
    return record;
  }

  /** Replaces the definition of `id`; returns undefined when it does not exist. */
  async replace(id: string, input: AutomationInput): Promise<AutomationView | undefined> {
    this.validate(input);
    const existing = await this.get(id);
    if (!existing) return undefined;
    // Same trigger tree: keep its node ids, so the workflow keeps its windows and counts.
    const trigger = sameTriggerDefinition(existing.trigger, input.trigger)
      ? existing.trigger
      : assignTriggerIds(input.trigger, () => crypto.randomUUID());
    const record: AutomationView = {
      ...existing,
      name: input.name,
      description: input.description,
      enabled: input.enabled,
      trigger,
      actions: input.actions,
      actions_on_trigger: input.actions_on_trigger,
      actions_on_resolve: input.actions_on_resolve,
      owner_resource: input.owner_resource === undefined ? existing.owner_resource : input.owner_resource,
      tags: input.tags,
      updated: monotonicNow(existing.updated),
    };
    if (!(await this.repository.replace(record))) return undefined;
    await this.audit('updated', record);
    await this.sync(record);
    return record;
  }

  /** Pauses or resumes; returns false when `id` does not exist. */
  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    const existing = await this.get(id);
    if (!existing) return false;
    if (existing.enabled === enabled) return true;
    const record = { ...existing, enabled, updated: monotonicNow(existing.updated) };
    if (!(await this.repository.replace(record))) return false;
    await this.audit('updated', record);
    await this.sync(record);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    const existing = await this.get(id);
    if (!existing || !(await this.repository.delete(id))) return false;
    await this.audit('deleted', existing);
    await this.registry.refresh(true);
    await this.tryGateway(existing.id, () => this.gateway.stop(existing.workflow_id, 'deleted'));
    return true;
  }

  /** Deletes every automation owned by `owner` (a deployment re-deploying its triggers); returns how many. */
  async deleteOwned(owner: string): Promise<number> {
    const owned = await this.repository.list({ owner });
    for (const automation of owned) await this.delete(automation.id);
    return owned.length;
  }

  /** Returns the workflow's view of the automation, or undefined when no workflow runs for it. */
  async state(
    id: string,
  ): Promise<{ automation: AutomationView; workflow: AutomationStateView | undefined } | undefined> {
    const automation = await this.get(id);
    if (!automation) return undefined;
    return { automation, workflow: await this.gateway.state(automation.workflow_id) };
  }

  /** Brings every enabled automation's workflow up to date (at start, and after an outage); retries in the background. */
  async reconcile(): Promise<void> {
    for (const automation of await this.repository.list({ enabledOnly: true })) this.unsynced.add(automation.id);
    await this.retryUnsynced();
    this.timer ??= setInterval(() => void this.retryUnsynced(), 15_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Throws AutomationRejected when `input` is well-formed but cannot run (loop guard, bad parameter templates). */
  validate(input: AutomationInput): void {
    const problem = infiniteLoopProblem(input.enabled, input.trigger, input.actions);
    if (problem) throw new AutomationRejected('actions', problem);
    for (const [list, actions] of [
      ['actions', input.actions],
      ['actions_on_trigger', input.actions_on_trigger],
      ['actions_on_resolve', input.actions_on_resolve],
    ] as const) {
      actions.forEach((action, index) => {
        if (action.type !== 'run-deployment' || !action.parameters) return;
        const issues = validateParameterTemplates(action.parameters);
        if (issues.length > 0) {
          throw new AutomationRejected(
            `${list}[${index}].parameters`,
            `Invalid parameters: \n${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`,
          );
        }
      });
    }
  }

  private async sync(record: AutomationRecord): Promise<void> {
    await this.registry.refresh(true);
    await this.tryGateway(record.id, () =>
      record.enabled
        ? this.gateway.define(record.workflow_id, toSnapshot(record))
        : this.gateway.stop(record.workflow_id, 'disabled'),
    );
  }

  private async tryGateway(id: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
      this.unsynced.delete(id);
    } catch (error) {
      this.unsynced.add(id);
      this.logger.warn('automation workflow not updated yet; will retry', {
        automation: id,
        error: (error as Error).message,
      });
    }
  }

  private async retryUnsynced(): Promise<void> {
    for (const id of [...this.unsynced]) {
      const record = await this.repository.get(id).catch(() => undefined);
      if (!record) {
        this.unsynced.delete(id);
        continue;
      }
      await this.tryGateway(id, () =>
        record.enabled
          ? this.gateway.define(record.workflow_id, toSnapshot(record))
          : this.gateway.stop(record.workflow_id, 'disabled'),
      );
    }
  }

  private async audit(action: 'created' | 'updated' | 'deleted', automation: AutomationView): Promise<void> {
    const event: Omit<Event, 'id'> = {
      occurred: new Date().toISOString(),
      event: `prefect.automation.${action}`,
      resource: {
        'prefect.resource.id': resourceIdFor('automation', automation.id),
        'prefect.resource.name': automation.name,
      },
      related: [],
      payload: { automation },
      follows: null,
    };
    await this.pipeline.emit([event]);
  }
}

/** An `updated` stamp later than `previous`, even when the clock has not moved, so the newest definition wins. */
function monotonicNow(previous: string): string {
  const now = Date.now();
  const last = Date.parse(previous);
  return new Date(now > last ? now : last + 1).toISOString();
}
