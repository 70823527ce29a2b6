// Prefect's matching rules, reproduced exactly: label values (glob with `!` negation), resource specifications,
// `match_related`, event names in `expect`/`after`, `related:<role>:<label>` addressing and for_each bucket keys.
//
// Implementation notes (Prefect server sources; "events.py" = `src/prefect/server/events/schemas/events.py`,
// "automations.py" = `src/prefect/server/events/schemas/automations.py`, "triggers.py" = `.../events/triggers.py`):
// - Label value (events.py `matches`, glob since 3.6.23): a missing label never matches, not even `!x`; one leading
//   `!` negates; the rest is an `fnmatchcase` glob (see glob.ts).
// - Specification (events.py `ResourceSpecification.matches/includes`): labels AND, a list of values OR, an empty
//   list never matches, `{}` matches everything (even when there are no related resources).
// - match_related (automations.py `ResourceTrigger.covers_resources`): one spec passes when some related resource
//   satisfies all of it; a list passes when every spec does, each possibly through a different resource.
// - Event names: Prefect checks a name three times and all three must pass. (1) The trigger index (triggers.py,
//   >= 3.7.2) globs the name against `expect ∪ after`, or treats the trigger as a catch-all when `expect` is empty.
//   (2) `EventTrigger.covers` applies `event_pattern`: the same patterns re-escaped into one regex where `*` is
//   `.+` and the match is anchored at the start only (`.+` alone when `expect` is empty). (3) `expects()` and
//   `starts_after()` apply the label-value matcher to `expect` and to `after` respectively. So `*` needs at least
//   one character (`foo*` does not match `foo`), `?` only matches a literal `?` and a `[...]` set nothing at all
//   (the regex escapes both), and a `!x` pattern never admits a name by itself: (1) and (2) read its `!`
//   literally, so it only gets a say on names that another, positive pattern of the same trigger (in `expect` or
//   `after`) lets through, or on every name for `after` when `expect` is empty ((1) and (2) then admit
//   everything). The docs' "negate with !" therefore does not work on its own. `expects`/`startsAfter` reproduce
//   all this when given the other list.
// - `related:<role>:<label>` (events.py `Event.find_resource_label`): split at the LAST `:` for the label and the
//   first `:` for the directive; the FIRST related resource with that role answers, even if it lacks the label;
//   with no resource in that role the whole string is looked up on the primary resource.
// - Bucket key (automations.py `bucketing_key`): for_each as a set, sorted by code point, each value or "".
import { compileEventPrefix, compileGlob, type Matcher } from './glob';
import type { Event, RelatedResource, Resource } from './schema';
import { RESOURCE_ID_LABEL, RESOURCE_ROLE_LABEL } from '../resources';

/** `match` / one `match_related` object: label name → pattern, or patterns of which any may match. */
export type ResourceSpecification = Record<string, string | string[]>;

// Compiled patterns, bounded so a stream of distinct patterns cannot grow memory; the oldest entry goes first.
const MAX_CACHED_PATTERNS = 4096;
const globCache = new Map<string, Matcher>();
const prefixCache = new Map<string, Matcher>();

function cached(cache: Map<string, Matcher>, pattern: string, compile: (pattern: string) => Matcher): Matcher {
  let matcher = cache.get(pattern);
  if (matcher === undefined) {
    matcher = compile(pattern);
    if (cache.size >= MAX_CACHED_PATTERNS) cache.delete(cache.keys().next().value!);
    cache.set(pattern, matcher);
  }
  return matcher;
}

/** Returns true when `value` matches `pattern` under Python's `fnmatch.fnmatchcase` (full string, case-sensitive). */
export function globMatch(pattern: string, value: string): boolean {
  return cached(globCache, pattern, compileGlob)(value);
}

/** Returns Prefect's label-value verdict: false for a missing value, else the glob, negated by a leading `!`. */
export function labelValueMatches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  return pattern.startsWith('!') ? !globMatch(pattern.slice(1), value) : globMatch(pattern, value);
}

/** Returns the value of `label` on `resource`, or undefined; inherited properties never count as labels. */
export function getLabel(resource: Resource, label: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(resource, label) ? resource[label] : undefined;
}

/** Returns true when `resource` satisfies every label of `spec` (any of a list); `{}` matches everything. */
export function resourceSpecMatches(spec: ResourceSpecification, resource: Resource): boolean {
  for (const [label, expected] of Object.entries(spec)) {
    const value = getLabel(resource, label);
    const patterns = typeof expected === 'string' ? [expected] : expected;
    if (!patterns.some((pattern) => labelValueMatches(pattern, value))) return false;
  }
  return true;
}

/**
 * Returns Prefect's `match_related` verdict: one spec needs one related resource satisfying all of it (`{}` always
 * passes); a list needs every spec satisfied, possibly by different resources (an empty list passes).
 */
export function matchRelated(
  specOrList: ResourceSpecification | ResourceSpecification[],
  related: readonly RelatedResource[],
): boolean {
  const specs = Array.isArray(specOrList) ? specOrList : [specOrList];
  return specs.every(
    (spec) => Object.keys(spec).length === 0 || related.some((resource) => resourceSpecMatches(spec, resource)),
  );
}

function anyGlob(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => globMatch(pattern, name));
}

function anyPrefix(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => cached(prefixCache, pattern, compileEventPrefix)(name));
}

function anyLabelValue(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => labelValueMatches(pattern, name));
}

/**
 * Returns true when event `name` passes all three of Prefect's name checks for `patterns` (index glob,
 * `event_pattern` prefix regex, label matcher); false for an empty list. See the module notes for the effect.
 */
export function eventNameMatchesAny(patterns: readonly string[], name: string): boolean {
  return anyGlob(patterns, name) && anyPrefix(patterns, name) && anyLabelValue(patterns, name);
}

/** Returns a precompiled `eventNameMatchesAny(patterns, ·)`, for callers that test one list against many names. */
export function eventNameMatcher(patterns: readonly string[]): Matcher {
  const globs = patterns.map(compileGlob);
  const prefixes = patterns.map(compileEventPrefix);
  const labels = patterns.map((pattern, i): Matcher => {
    if (!pattern.startsWith('!')) return globs[i]!;
    const positive = compileGlob(pattern.slice(1));
    return (name) => !positive(name);
  });
  return (name) => globs.some((m) => m(name)) && prefixes.some((m) => m(name)) && labels.some((m) => m(name));
}

/**
 * Returns Prefect's `expects(name)` as it behaves behind the trigger index: true for an empty `expect`. Pass the
 * trigger's `after` to reproduce Prefect exactly (its patterns also open the index and regex gates); without it the
 * three checks run on `expect` alone.
 */
export function expects(expect: readonly string[], name: string, after?: readonly string[]): boolean {
  if (expect.length === 0) return true;
  if (after === undefined) return eventNameMatchesAny(expect, name);
  const gate = [...expect, ...after];
  return anyGlob(gate, name) && anyPrefix(gate, name) && anyLabelValue(expect, name);
}

/**
 * Returns Prefect's `starts_after(name)` as it behaves behind the trigger index: false for an empty `after`. Pass the
 * trigger's `expect` to reproduce Prefect exactly (an empty `expect` opens both gates, so `after` then gets the bare
 * label matcher); without it the three checks run on `after` alone.
 */
export function startsAfter(after: readonly string[], name: string, expect?: readonly string[]): boolean {
  if (after.length === 0) return false;
  if (expect === undefined) return eventNameMatchesAny(after, name);
  // `.+` (the regex of an empty expect) needs one character that is not a newline.
  if (expect.length === 0) return name.length > 0 && name[0] !== '\n' && anyLabelValue(after, name);
  const gate = [...expect, ...after];
  return anyGlob(gate, name) && anyPrefix(gate, name) && anyLabelValue(after, name);
}

/** Returns the value of `label` for `event`, resolving `related:<role>:<label>` (module notes); undefined if absent. */
export function resolveLabel(event: Pick<Event, 'resource' | 'related'>, label: string): string | undefined {
  const lastColon = label.lastIndexOf(':');
  if (lastColon >= 0) {
    const head = label.slice(0, lastColon);
    const firstColon = head.indexOf(':');
    const directive = firstColon < 0 ? head : head.slice(0, firstColon);
    if (directive === 'related') {
      const role = firstColon < 0 ? '' : head.slice(firstColon + 1);
      const resource = resourceInRole(event, role);
      if (resource) return getLabel(resource, label.slice(lastColon + 1));
    }
  }
  return getLabel(event.resource, label);
}

/** Returns -1, 0 or 1 comparing by code point, as Python orders strings (JS `<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}

/** Returns the distinct `forEach` labels in Python's `sorted()` order, the order of every bucket key. */
export function sortedLabels(forEach: readonly string[]): string[] {
  return [...new Set(forEach)].sort(compareCodePoints);
}

/** Returns the bucketing key of `event`: one value per sorted `forEach` label, '' where the label is missing. */
export function bucketKey(forEach: readonly string[], event: Pick<Event, 'resource' | 'related'>): string[] {
  return sortedLabels(forEach).map((label) => resolveLabel(event, label) || '');
}

/** Returns the `triggering_labels` of a firing: sorted `forEach` labels zipped with `key` (extra entries dropped). */
export function triggeringLabels(forEach: readonly string[], key: readonly string[]): Record<string, string> {
  const labels = sortedLabels(forEach);
  const length = Math.min(labels.length, key.length);
  return Object.fromEntries(labels.slice(0, length).map((label, i) => [label, key[i]!]));
}

/** Returns the `prefect.resource.id` of `resource` ('' only for objects that bypassed the schema). */
export function resourceId(resource: Resource): string {
  return getLabel(resource, RESOURCE_ID_LABEL) ?? '';
}

/** Returns the first related resource of `event` in `role` (Prefect's `resource_in_role`), or undefined. */
export function resourceInRole(event: Pick<Event, 'related'>, role: string): RelatedResource | undefined {
  return event.related.find((resource) => getLabel(resource, RESOURCE_ROLE_LABEL) === role);
}

/** Returns every related resource of `event` in `role`, in event order (Prefect's `resources_in_role`). */
export function resourcesInRole(event: Pick<Event, 'related'>, role: string): RelatedResource[] {
  return event.related.filter((resource) => getLabel(resource, RESOURCE_ROLE_LABEL) === role);
}
