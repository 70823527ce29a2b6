// Which automations may care about an event: the event-trigger leaves of a trigger tree, and the cheap checks Prefect
// applies before evaluating (event name, then `match` and `match_related`). Pure, so the registry and tests share it.
import { eventNameMatchesAny, matchRelated, resourceSpecMatches, type ResourceSpecification } from '../events/matching';
import type { Event } from '../events/schema';
import type { Trigger } from '../triggers/schema';

interface LeafFilter {
  /** Event-name patterns (`expect` ∪ `after`); empty means every event. */
  names: string[];
  match: ResourceSpecification;
  matchRelated: ResourceSpecification | ResourceSpecification[];
}

/** Returns the filters of every leaf of `trigger` that consumes events. */
export function leafFilters(trigger: Trigger): LeafFilter[] {
  switch (trigger.type) {
    case 'event':
      return [
        {
          names: trigger.expect.length === 0 ? [] : [...trigger.expect, ...trigger.after],
          match: trigger.match,
          matchRelated: trigger.match_related,
        },
      ];
    case 'metric':
      // Metrics are computed from flow-run state events.
      return [{ names: ['prefect.flow-run.*'], match: trigger.match, matchRelated: trigger.match_related }];
    case 'compound':
    case 'sequence':
      return trigger.triggers.flatMap((child) => leafFilters(child));
  }
}

/** Returns every event-name pattern of `trigger`'s leaves, or [] when some leaf takes every event. */
export function eventNamePatterns(trigger: Trigger): string[] {
  const leaves = leafFilters(trigger);
  if (leaves.some((leaf) => leaf.names.length === 0)) return [];
  return [...new Set(leaves.flatMap((leaf) => leaf.names))];
}

/** True when some leaf of `trigger` covers `event`: its name, primary resource and related resources match. */
export function coversEvent(trigger: Trigger, event: Event): boolean {
  return coverage(trigger)(event);
}

/** Returns `coversEvent` for `trigger` with its leaves worked out once, for a caller that asks for many events. */
export function coverage(trigger: Trigger): (event: Event) => boolean {
  const leaves = leafFilters(trigger);
  return (event) =>
    leaves.some(
      (leaf) =>
        (leaf.names.length === 0 || eventNameMatchesAny(leaf.names, event.event)) &&
        resourceSpecMatches(leaf.match, event.resource) &&
        matchRelated(leaf.matchRelated, event.related),
    );
}

const GLOB_SYNTAX = /[*?[]/;

/**
 * Returns the primary resource ids an event must have for some leaf of `trigger` to cover it, or undefined when a
 * leaf takes other ids too (no `prefect.resource.id` in its `match`, or a glob or `!` among its values). The router
 * looks these up instead of testing every automation that expects the event's name.
 */
export function requiredResourceIds(trigger: Trigger): Set<string> | undefined {
  const ids = new Set<string>();
  for (const leaf of leafFilters(trigger)) {
    const expected = leaf.match['prefect.resource.id'];
    if (expected === undefined) return undefined;
    for (const pattern of typeof expected === 'string' ? [expected] : expected) {
      if (pattern.startsWith('!') || GLOB_SYNTAX.test(pattern)) return undefined;
      ids.add(pattern);
    }
  }
  return ids;
}
