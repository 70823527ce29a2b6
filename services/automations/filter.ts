// Prefect's POST /automations/filter and /automations/related-to/<resource>: which automations a client asked for, in
// its order and page. Automations are few (one per trigger), so the stored list is filtered here rather than in SQL.
import { z } from 'zod';
import type { AutomationRecord } from '../../db/automations';
import { resourceIdFor } from '../../core/resources';

/** Prefect's page size limit (PREFECT_API_DEFAULT_LIMIT), which is also its default. */
export const MAX_FILTER_LIMIT = 200;

const sorts = ['CREATED_DESC', 'UPDATED_DESC', 'NAME_ASC', 'NAME_DESC'] as const;

// Prefect's client sends every field, null where it has no value (`"sort": null, "limit": null`), and sometimes no
// body at all: null and missing are the defaults.
export const automationFilterSchema = z
  .object({
    sort: z.enum(sorts).nullish(),
    limit: z.number().int().min(0).max(MAX_FILTER_LIMIT).nullish(),
    offset: z.number().int().min(0).nullish(),
    automations: z
      .object({
        name: z.object({ any_: z.array(z.string()).nullish() }).nullish(),
        created: z.object({ before_: z.iso.datetime({ offset: true }).nullish() }).nullish(),
        tags: z.object({ all_: z.array(z.string()).nullish(), is_null_: z.boolean().nullish() }).nullish(),
      })
      .nullish(),
  })
  .nullish()
  .transform((filter) => ({
    sort: filter?.sort ?? 'NAME_ASC',
    limit: filter?.limit ?? MAX_FILTER_LIMIT,
    offset: filter?.offset ?? 0,
    automations: filter?.automations,
  }));

export type AutomationFilter = z.infer<typeof automationFilterSchema>;

/** Returns the page of `automations` that `filter` selects, in its order. */
export function filterAutomations<A extends AutomationRecord>(
  automations: readonly A[],
  filter: AutomationFilter,
): A[] {
  const { name, created, tags } = filter.automations ?? {};
  const before = created?.before_ ? Date.parse(created.before_) : undefined;
  const selected = automations.filter(
    (a) =>
      (!name?.any_ || name.any_.includes(a.name)) &&
      (before === undefined || Date.parse(a.created) < before) &&
      (!tags?.all_ || tags.all_.every((tag) => a.tags.includes(tag))) &&
      (tags?.is_null_ == null || tags.is_null_ === (a.tags.length === 0)),
  );
  return [...selected].sort(order(filter.sort)).slice(filter.offset, filter.offset + filter.limit);
}

function order(sort: AutomationFilter['sort']): (a: AutomationRecord, b: AutomationRecord) => number {
  const byName = (a: AutomationRecord, b: AutomationRecord) => compare(a.name, b.name) || compare(a.id, b.id);
  switch (sort) {
    case 'NAME_ASC':
      return byName;
    case 'NAME_DESC':
      return (a, b) => byName(b, a);
    case 'CREATED_DESC':
      return (a, b) => compare(b.created, a.created) || compare(b.id, a.id);
    case 'UPDATED_DESC':
      return (a, b) => compare(b.updated, a.updated) || compare(b.id, a.id);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether `automation` relates to `resourceId` as Prefect relates them: the resource owns it, or one of its actions
 * runs that deployment (`prefect.deployment.<id>`).
 */
export function relatesTo(automation: AutomationRecord, resourceId: string): boolean {
  if (automation.owner_resource === resourceId) return true;
  const actions = [...automation.actions, ...automation.actions_on_trigger, ...automation.actions_on_resolve];
  return actions.some((action) => {
    const { type, deployment_id: deploymentId } = action as { type?: unknown; deployment_id?: unknown };
    return (
      type === 'run-deployment' &&
      typeof deploymentId === 'string' &&
      resourceIdFor('deployment', deploymentId) === resourceId
    );
  });
}
