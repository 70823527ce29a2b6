// The routing index: which automations may care about an event name, found without scanning every automation.
// Plays the part of Prefect's trigger index (`src/prefect/server/events/triggers.py`, >= 3.7.2).
//
// Implementation notes:
// - A literal pattern (no `*`, `?` or `[`) can only glob-match itself: it lives in a Map keyed by the name.
// - Any other pattern can only match names starting with its literal prefix (the text before its first `*`, `?`
//   or `[`): it lives in a Map keyed by that prefix. A lookup tries each prefix of the name whose length some
//   stored prefix has, so its cost follows the name's length, not the number of patterns, and each hit is
//   confirmed with `eventNameMatcher` over all of the value's patterns (the three checks Prefect makes).
// - An empty pattern list is a catch-all (Prefect: a trigger whose `expect` is empty takes every event).
// - Lookups cost O(name length + matching candidates); add/remove cost O(patterns of the value).
import { eventNameMatcher } from './matching';

const WILDCARD = /[*?[]/;

interface Entry {
  exact: string[];
  prefixes: string[];
  catchAll: boolean;
  matches: (name: string) => boolean;
}

/** Maps event-name patterns to values (automation ids) and answers which values an event name may concern. */
export class EventNameIndex<T> {
  private readonly entries = new Map<T, Entry>();
  private readonly exact = new Map<string, Set<T>>();
  private readonly byPrefix = new Map<string, Set<T>>();
  private readonly catchAll = new Set<T>();
  private readonly prefixLengthCounts = new Map<number, number>();
  private prefixLengths: number[] = [];
  private prefixLengthsStale = false;

  /** The number of values in the index. */
  get size(): number {
    return this.entries.size;
  }

  /** Returns true when `value` is in the index. */
  has(value: T): boolean {
    return this.entries.has(value);
  }

  /**
   * Registers `value` under `patterns` (Prefect event-name globs; `[]` means every event), replacing any earlier
   * registration of the same value.
   */
  add(patterns: readonly string[], value: T): void {
    this.remove(value);
    const unique = [...new Set(patterns)];
    const entry: Entry = {
      exact: unique.filter((p) => !WILDCARD.test(p)),
      prefixes: [...new Set(unique.filter((p) => WILDCARD.test(p)).map((p) => p.slice(0, p.search(WILDCARD))))],
      catchAll: unique.length === 0,
      matches: eventNameMatcher(unique),
    };
    this.entries.set(value, entry);
    if (entry.catchAll) this.catchAll.add(value);
    for (const name of entry.exact) addTo(this.exact, name, value);
    for (const prefix of entry.prefixes) {
      if (addTo(this.byPrefix, prefix, value)) this.countPrefixLength(prefix.length, 1);
    }
  }

  /** Removes `value` from the index; returns false when it was not there. */
  remove(value: T): boolean {
    const entry = this.entries.get(value);
    if (!entry) return false;
    this.entries.delete(value);
    this.catchAll.delete(value);
    for (const name of entry.exact) removeFrom(this.exact, name, value);
    for (const prefix of entry.prefixes) {
      if (removeFrom(this.byPrefix, prefix, value)) this.countPrefixLength(prefix.length, -1);
    }
    return true;
  }

  /** True when `value` is in the index with a pattern matching `eventName` (or as a catch-all). */
  accepts(value: T, eventName: string): boolean {
    const entry = this.entries.get(value);
    return entry !== undefined && (entry.catchAll || entry.matches(eventName));
  }

  /** Returns every value with a pattern matching `eventName` (catch-alls included); a new Set on each call. */
  candidates(eventName: string): Set<T> {
    const found = new Set<T>(this.catchAll);
    for (const value of this.exact.get(eventName) ?? []) found.add(value);
    for (const length of this.sortedPrefixLengths()) {
      if (length > eventName.length) break;
      const bucket = this.byPrefix.get(eventName.slice(0, length));
      if (!bucket) continue;
      for (const value of bucket) {
        if (!found.has(value) && this.entries.get(value)!.matches(eventName)) found.add(value);
      }
    }
    return found;
  }

  private countPrefixLength(length: number, delta: 1 | -1): void {
    const count = (this.prefixLengthCounts.get(length) ?? 0) + delta;
    if (count === 0) this.prefixLengthCounts.delete(length);
    else this.prefixLengthCounts.set(length, count);
    if (count === 0 || (delta === 1 && count === 1)) this.prefixLengthsStale = true;
  }

  private sortedPrefixLengths(): number[] {
    if (this.prefixLengthsStale) {
      this.prefixLengths = [...this.prefixLengthCounts.keys()].sort((a, b) => a - b);
      this.prefixLengthsStale = false;
    }
    return this.prefixLengths;
  }
}

/** Adds `value` to the set at `key`; returns true when that created the set. */
function addTo<T>(map: Map<string, Set<T>>, key: string, value: T): boolean {
  const set = map.get(key);
  if (set) {
    set.add(value);
    return false;
  }
  map.set(key, new Set([value]));
  return true;
}

/** Removes `value` from the set at `key`; returns true when that emptied and deleted the set. */
function removeFrom<T>(map: Map<string, Set<T>>, key: string, value: T): boolean {
  const set = map.get(key);
  if (!set) return false;
  set.delete(value);
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}
