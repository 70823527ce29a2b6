// The routing index, with the cases of tests/events/server/triggers/test_find_interested_triggers.py and a
// cross-check against scanning every entry.
import { eventNameMatchesAny } from '../../../core/events/matching';
import { EventNameIndex } from '../../../core/events/name-index';

describe('EventNameIndex', () => {
  it('finds a value registered under the exact name (finds_trigger_with_matching_event)', () => {
    const index = new EventNameIndex<string>();
    index.add(['animal.walked'], 'spider');
    expect(index.candidates('animal.walked')).toEqual(new Set(['spider']));
  });

  it('skips a value whose names do not match (skips_trigger_when_event_does_not_match)', () => {
    const index = new EventNameIndex<string>();
    index.add(['animal.walked'], 'spider');
    expect(index.candidates('plant.grew')).toEqual(new Set());
  });

  it('finds prefix.* values for names with that prefix only (wildcard_matches_events_with_same_prefix)', () => {
    const index = new EventNameIndex<string>();
    index.add(['animal.*'], 'any-animal');
    expect(index.candidates('animal.walked')).toEqual(new Set(['any-animal']));
    expect(index.candidates('plant.grew')).toEqual(new Set());
    expect(index.candidates('animal.')).toEqual(new Set()); // * needs a character
  });

  it('returns a catch-all for every name (catch_all_matches_any_event)', () => {
    const index = new EventNameIndex<string>();
    index.add([], 'everything');
    expect(index.candidates('animal.walked')).toEqual(new Set(['everything']));
    expect(index.candidates('plant.grew')).toEqual(new Set(['everything']));
  });

  it('returns every value one event concerns (event_can_match_multiple_triggers)', () => {
    const index = new EventNameIndex<string>();
    index.add(['animal.walked'], 'spider');
    index.add(['animal.*'], 'any-animal');
    index.add([], 'everything');
    index.add(['plant.*'], 'plants');
    expect(index.candidates('animal.walked')).toEqual(new Set(['spider', 'any-animal', 'everything']));
  });

  it('forgets a removed value (forgotten_automation_no_longer_matches)', () => {
    const index = new EventNameIndex<string>();
    index.add(['animal.walked'], 'spider');
    index.add(['animal.*'], 'any-animal');
    index.add([], 'everything');
    expect(index.remove('spider')).toBe(true);
    expect(index.remove('any-animal')).toBe(true);
    expect(index.remove('everything')).toBe(true);
    expect(index.remove('everything')).toBe(false);
    expect(index.candidates('animal.walked')).toEqual(new Set());
    expect(index.size).toBe(0);
  });

  it('reaches a value through its after patterns too (expect ∪ after is registered)', () => {
    const index = new EventNameIndex<string>();
    index.add(['prefect.flow-run.Completed', 'prefect.flow-run.Running'], 'sla');
    expect(index.candidates('prefect.flow-run.Running')).toEqual(new Set(['sla']));
    expect(index.candidates('prefect.flow-run.Completed')).toEqual(new Set(['sla']));
    expect(index.candidates('prefect.flow-run.Failed')).toEqual(new Set());
  });

  it('registers an empty expect as a catch-all even with after (empty_expect_with_after_matches_any_event)', () => {
    // The caller passes [] when expect is empty: Prefect's event_pattern is then `.+`.
    const index = new EventNameIndex<string>();
    index.add([], 'any-state-after-pending');
    expect(index.candidates('prefect.flow-run.pending')).toEqual(new Set(['any-state-after-pending']));
    expect(index.candidates('prefect.flow-run.completed')).toEqual(new Set(['any-state-after-pending']));
  });

  it('replaces the patterns of a value added twice', () => {
    const index = new EventNameIndex<string>();
    index.add(['a.*'], 'v');
    index.add(['b.x'], 'v');
    expect(index.candidates('a.x')).toEqual(new Set());
    expect(index.candidates('b.x')).toEqual(new Set(['v']));
    expect(index.size).toBe(1);
  });

  it('applies Prefect name rules to wildcards: middle *, ?, [ and ! patterns', () => {
    const index = new EventNameIndex<string>();
    index.add(['prefect.*.Completed'], 'completed');
    index.add(['prefect.flow-run.?unning'], 'question');
    index.add(['!prefect.flow-run.Pending'], 'negated');
    index.add(['*'], 'star');
    expect(index.candidates('prefect.task-run.Completed')).toEqual(new Set(['completed', 'star']));
    expect(index.candidates('prefect.flow-run.Running')).toEqual(new Set(['star']));
    expect(index.candidates('prefect..Completed')).toEqual(new Set(['star']));
  });

  it('keeps a value registered under several patterns until it is removed', () => {
    const index = new EventNameIndex<number>();
    index.add(['a.*', 'a.b.*', 'x'], 1);
    index.add(['a.*'], 2);
    expect(index.candidates('a.b.c')).toEqual(new Set([1, 2]));
    index.remove(1);
    expect(index.candidates('a.b.c')).toEqual(new Set([2]));
    expect(index.candidates('x')).toEqual(new Set());
    expect(index.has(1)).toBe(false);
  });

  it('agrees with scanning every entry with eventNameMatchesAny', () => {
    const random = lcg(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const parts = ['prefect', 'flow-run', 'task-run', 'Completed', 'Running', 'a', 'b', '', '*', '?', '[ab]', '!'];
    const pattern = () => Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(parts)).join(pick(['.', '']));
    const entries = new Map<number, string[]>();
    const index = new EventNameIndex<number>();
    for (let value = 0; value < 400; value++) {
      const patterns = Array.from({ length: Math.floor(random() * 3) }, pattern);
      entries.set(value, patterns);
      index.add(patterns, value);
    }
    for (let value = 0; value < 400; value += 7) {
      entries.delete(value);
      index.remove(value);
    }
    for (let i = 0; i < 2000; i++) {
      const name = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(parts)).join(pick(['.', '']));
      const expected = [...entries]
        .filter(([, patterns]) => patterns.length === 0 || eventNameMatchesAny(patterns, name))
        .map(([value]) => value);
      expect([name, [...index.candidates(name)].sort((a, b) => a - b)]).toEqual([name, expected]);
    }
  });
});

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}
