// Prefect's matching tables, ported from tests/events/server/triggers/test_basics.py,
// tests/events/server/test_resource_schema.py and tests/events/server/test_events_schema.py.
import {
  bucketKey,
  eventNameMatchesAny,
  eventNameMatcher,
  expects,
  getLabel,
  labelValueMatches,
  matchRelated,
  resolveLabel,
  resourceId,
  resourceInRole,
  resourcesInRole,
  type ResourceSpecification,
  resourceSpecMatches,
  sortedLabels,
  startsAfter,
  triggeringLabels,
} from '../../../core/events/matching';
import type { Event, Resource } from '../../../core/events/schema';
import { daddyLongLegsWalked, exampleEvent, woodchonkGobbled, woodchonkNibbled, woodchonkWalked } from './fixtures';

interface TriggerFilter {
  expect: string[];
  after?: string[];
  match?: ResourceSpecification;
  match_related?: ResourceSpecification | ResourceSpecification[];
}

/** EventTrigger.covers as tripwire composes it: the name gate, then `match`, then `match_related`. */
function covers(trigger: TriggerFilter, event: Event): boolean {
  const names = trigger.expect.length === 0 ? [] : [...trigger.expect, ...(trigger.after ?? [])];
  return (
    (names.length === 0 || eventNameMatchesAny(names, event.event)) &&
    resourceSpecMatches(trigger.match ?? {}, event.resource) &&
    matchRelated(trigger.match_related ?? {}, event.related)
  );
}

const arachnophobia: TriggerFilter = { expect: ['animal.walked'], match: { class: 'Arachnida', order: 'Araneae' } };
const myPoorLilies: TriggerFilter = {
  expect: ['animal.ingested'],
  match_related: { 'prefect.resource.role': 'meal', genus: 'Hemerocallis', species: 'fulva' },
};
const animalLover: TriggerFilter = { expect: [], match: { kingdom: 'Animalia' } };

describe('labelValueMatches(pattern, value) — test_matches / test_does_not_match', () => {
  it.each<[string, string]>([
    ['*', 'any.old.thing'],
    ['any.old.*', 'any.old.thing'],
    ['any.old.*', 'any.old.stuff'],
    ['exactamundo', 'exactamundo'],
    ['*.csv', 'file.csv'],
    ['!*.csv', 'file.parquet'],
    ['s3://*.csv', 's3://bucket/object.csv'],
    ['a-val*', 'a-val'],
    ['a-val*', 'a-valerie'],
    ['a-val*', 'a-val kilmer'],
    ['a-val*', 'a-val.iant-effort'],
    ['*', ''],
    ['prefect.flow-run.*', 'prefect.flow-run.'],
    ['prefect.*.Completed', 'prefect.flow-run.Completed'],
    ['file-?.csv', 'file-1.csv'],
    ['file-[0-9].csv', 'file-7.csv'],
    ['!nah', '!nah'],
  ])('%j matches %j', (pattern, value) => {
    expect(labelValueMatches(pattern, value)).toBe(true);
  });

  it.each<[string, string | undefined]>([
    ['*', undefined],
    ['!anything', undefined],
    ['!*', undefined],
    ['any.old.*', 'any.other.stuff'],
    ['any.old.*', 'any.old'],
    ['exactamundo', 'positively not'],
    ['*.csv', 'file.parquet'],
    ['!*.csv', 'file.csv'],
    ['s3://*.csv', 's3://bucket/object.parquet'],
    ['a-val*', 'a-va'],
    ['a-val*', 'a-vanquishment'],
    ['a-val*', ''],
    ['Running', 'running'],
    ['file-[!0-9].csv', 'file-7.csv'],
  ])('%j does not match %j', (pattern, value) => {
    expect(labelValueMatches(pattern, value)).toBe(false);
  });
});

describe('resourceSpecMatches(spec, resource) — test_resource_schema', () => {
  const base = { 'prefect.resource.id': 'anything', 'prefect.resource.role': 'anyhoo' };

  it.each<Record<string, string>>([
    { 'a-label': 'a-value' },
    { 'a-label': 'a-value', 'another-label': 'a-value' },
    { 'a-label': 'a-value', 'another-label': 'another-value' },
  ])('{a-label: a-value} matches %j', (labels) => {
    expect(resourceSpecMatches({ 'a-label': 'a-value' }, { ...base, ...labels })).toBe(true);
  });

  it.each<Record<string, string>>([{}, { 'a-label': 'another-value' }, { 'a-label': '' }, { 'another-label': 'x' }])(
    '{a-label: a-value} does not match %j',
    (labels) => {
      expect(resourceSpecMatches({ 'a-label': 'a-value' }, { ...base, ...labels })).toBe(false);
    },
  );

  it.each<string>(['a-value', 'a-val', 'a-valerie', 'a-val kilmer', 'a-valiant-effort', 'a-val.iant-effort'])(
    '{a-label: a-val*} matches a-label=%j',
    (value) => {
      expect(resourceSpecMatches({ 'a-label': 'a-val*' }, { ...base, 'a-label': value, 'another-label': 'x' })).toBe(
        true,
      );
    },
  );

  it.each<Record<string, string>>([
    {},
    { 'a-label': 'another-value' },
    { 'a-label': '' },
    { 'another-label': 'another-value' },
    { 'a-label': 'a-vanquishment' },
    { 'a-label': 'a-va' },
  ])('{a-label: a-val*} does not match %j', (labels) => {
    expect(resourceSpecMatches({ 'a-label': 'a-val*' }, { ...base, ...labels })).toBe(false);
  });

  it('matches every resource with an empty specification', () => {
    expect(resourceSpecMatches({}, base)).toBe(true);
    expect(resourceSpecMatches({}, { 'prefect.resource.id': 'any.thing', any: 'thing' })).toBe(true);
  });

  it('matches every resource of a kind with a prefect.resource.id wildcard', () => {
    expect(
      resourceSpecMatches({ 'prefect.resource.id': 'any.old.*' }, { ...base, 'prefect.resource.id': 'any.old.thing' }),
    ).toBe(true);
    expect(
      resourceSpecMatches({ 'prefect.resource.id': 'any.old.*' }, { ...base, 'prefect.resource.id': 'nope.thing' }),
    ).toBe(false);
  });

  it('ORs the values of a list and never matches an empty list', () => {
    const spec = { colour: ['red', 'blue*'] };
    expect(resourceSpecMatches(spec, { ...base, colour: 'red' })).toBe(true);
    expect(resourceSpecMatches(spec, { ...base, colour: 'blueish' })).toBe(true);
    expect(resourceSpecMatches(spec, { ...base, colour: 'green' })).toBe(false);
    expect(resourceSpecMatches({ colour: [] }, { ...base, colour: 'red' })).toBe(false);
  });

  it('reads an empty-string pattern as "the label is present and empty"', () => {
    expect(resourceSpecMatches({ empty: '' }, { ...base, empty: '' })).toBe(true);
    expect(resourceSpecMatches({ empty: '' }, { ...base, empty: 'x' })).toBe(false);
    expect(resourceSpecMatches({ empty: '' }, base)).toBe(false);
  });

  it('cannot narrow a positive value with a negative one in the same list (OR semantics)', () => {
    expect(resourceSpecMatches({ name: ['x*', '!x-1'] }, { ...base, name: 'x-1' })).toBe(true);
    expect(resourceSpecMatches({ name: ['x*', '!x-1'] }, { ...base, name: 'y' })).toBe(true);
  });

  it('never reads inherited object properties as labels', () => {
    expect(resourceSpecMatches({ toString: '*' }, base)).toBe(false);
    expect(resourceSpecMatches({ constructor: '!x' }, base)).toBe(false);
  });

  describe('a single negative value {only-a-negative: [!nah]}', () => {
    const spec = { 'only-a-negative': ['!nah'] };
    it.each(['yes', 'woohoo!', '!nah', 'nah, chief'])('includes %j', (value) => {
      expect(resourceSpecMatches(spec, { 'prefect.resource.id': 'anything', 'only-a-negative': value })).toBe(true);
    });
    it('excludes nah, and a resource without the label', () => {
      expect(resourceSpecMatches(spec, { 'prefect.resource.id': 'anything', 'only-a-negative': 'nah' })).toBe(false);
      expect(resourceSpecMatches(spec, { 'prefect.resource.id': 'anything', 'does-not-have-the-label': 'x' })).toBe(
        false,
      );
    });
  });

  describe('a negated wildcard {only-a-negative: [!nah*]}', () => {
    const spec = { 'only-a-negative': ['!nah*'] };
    it.each(['yes', 'woohoo!', '!nah', 'is it? nah'])('includes %j', (value) => {
      expect(resourceSpecMatches(spec, { 'prefect.resource.id': 'anything', 'only-a-negative': value })).toBe(true);
    });
    it.each(['nah', 'nah, chief', 'nah, pal'])('excludes %j', (value) => {
      expect(resourceSpecMatches(spec, { 'prefect.resource.id': 'anything', 'only-a-negative': value })).toBe(false);
    });
  });

  describe('several labels with negative values', () => {
    const spec = {
      'some-label': ['this-value', '!that-value', 'other-value'],
      'another-label': ['yes', '!no', 'maybe'],
      'only-a-negative': ['!nah'],
    };
    it.each<Record<string, string>>([
      { 'some-label': 'this-value', 'another-label': 'yes', 'only-a-negative': 'yes' },
      { 'some-label': 'other-value', 'another-label': 'maybe', 'only-a-negative': 'woohoo!' },
      { 'totally-other': 'no', 'some-label': 'this-value', 'another-label': 'yes', 'only-a-negative': '!nah' },
    ])('includes %j', (labels) => {
      expect(resourceSpecMatches(spec, { 'prefect.resource.id': 'anything', ...labels })).toBe(true);
    });
    it.each<Record<string, string>>([
      { 'some-label': 'that-value', 'another-label': 'yes', 'only-a-negative': 'yes' },
      { 'some-label': 'that-value', 'another-label': 'maybe', 'only-a-negative': 'yes' },
      { 'some-label': 'this-value', 'another-label': 'yes', 'only-a-negative': 'nah' },
      { 'some-label': 'that-value', 'another-label': 'no', 'only-a-negative': 'nah' },
    ])('excludes %j', (labels) => {
      expect(resourceSpecMatches(spec, { 'prefect.resource.id': 'anything', ...labels })).toBe(false);
    });
  });
});

describe('EventTrigger.covers — test_basics', () => {
  it('covers a spider walking (trigger_covers) but not a woodchuck (trigger_does_not_cover)', () => {
    expect(covers(arachnophobia, daddyLongLegsWalked)).toBe(true);
    expect(covers(arachnophobia, woodchonkWalked)).toBe(false);
  });

  it('covers by related resource (covers_related_resource / does_not_cover_related)', () => {
    expect(covers(myPoorLilies, woodchonkNibbled)).toBe(true);
    expect(covers(myPoorLilies, woodchonkWalked)).toBe(false);
  });

  it('needs every spec of a list, each by any resource (covers_multiple_related_resources_positive)', () => {
    const lilyAndTulip = [
      { 'prefect.resource.role': 'meal', genus: 'Hemerocallis' },
      { 'prefect.resource.role': 'meal', genus: 'Tulipa' },
    ];
    expect(covers({ ...myPoorLilies, match_related: lilyAndTulip }, woodchonkNibbled)).toBe(true);
  });

  it('fails when one spec of a list finds no resource (covers_multiple_related_resources_negative)', () => {
    const lilyAndDaffodil = [
      { 'prefect.resource.role': 'meal', genus: 'Hemerocallis' },
      { 'prefect.resource.role': 'meal', genus: 'Narcissus' },
    ];
    expect(covers({ ...myPoorLilies, match_related: lilyAndDaffodil }, woodchonkNibbled)).toBe(false);
  });

  it('takes every event name when expect is empty (no_expects_means_all_events)', () => {
    expect(covers(animalLover, daddyLongLegsWalked)).toBe(true);
    expect(covers(animalLover, woodchonkNibbled)).toBe(true);
  });

  it('skips an event whose name is not expected (only_on_expected_events)', () => {
    expect(covers(arachnophobia, { ...daddyLongLegsWalked, event: 'animal.snoozed' })).toBe(false);
  });
});

describe('matchRelated(specOrList, related)', () => {
  it('passes one spec when a single related resource satisfies all of it', () => {
    expect(matchRelated({ genus: 'Tulipa', species: 'gesneriana' }, woodchonkNibbled.related)).toBe(true);
    // genus of one meal, species of the other: no single resource has both
    expect(matchRelated({ genus: 'Tulipa', species: 'fulva' }, woodchonkNibbled.related)).toBe(false);
  });

  it('passes an empty spec and an empty list even without related resources', () => {
    expect(matchRelated({}, [])).toBe(true);
    expect(matchRelated([], [])).toBe(true);
    expect(matchRelated([{}], [])).toBe(true);
    expect(matchRelated({ genus: '*' }, [])).toBe(false);
  });

  it('reads negation on a many-valued role as "has some resource that is not X"', () => {
    const tags = [
      { 'prefect.resource.id': 'prefect.tag.a', 'prefect.resource.role': 'tag' },
      { 'prefect.resource.id': 'prefect.tag.b', 'prefect.resource.role': 'tag' },
    ];
    expect(matchRelated({ 'prefect.resource.role': 'tag', 'prefect.resource.id': '!prefect.tag.a' }, tags)).toBe(true);
    expect(matchRelated({ 'prefect.resource.role': 'tag', 'prefect.resource.id': '!prefect.tag.*' }, tags)).toBe(false);
  });

  it('lets different specs of a list be satisfied by different resources', () => {
    expect(matchRelated([{ genus: 'Dicentra' }, { genus: 'Narcissus' }], woodchonkGobbled.related)).toBe(true);
    expect(matchRelated([{ genus: 'Dicentra' }, { genus: 'Tulipa' }], woodchonkGobbled.related)).toBe(false);
  });
});

describe('eventNameMatchesAny(patterns, name) — expect/after names', () => {
  it.each<[string[], string, boolean]>([
    [['animal.walked'], 'animal.walked', true],
    [['animal.walked'], 'animal.walked.slowly', false],
    [['animal.walked'], 'animal.walk', false],
    [['prefect.flow-run.*'], 'prefect.flow-run.Completed', true],
    [['prefect.flow-run.*'], 'prefect.flow-run.heartbeat', true],
    [['prefect.flow-run.*'], 'prefect.flow-run.', false], // * needs one character
    [['prefect.flow-run.*'], 'prefect.flow-run', false],
    [['prefect.flow-run.*'], 'prefect.task-run.Completed', false],
    [['prefect.*.Completed'], 'prefect.flow-run.Completed', true],
    [['prefect.*.Completed'], 'prefect.task-run.Completed', true],
    [['prefect.*.Completed'], 'prefect..Completed', false],
    [['prefect.*.Completed'], 'prefect.flow-run.Completed.extra', false],
    [['foo*'], 'foo', false],
    [['foo*'], 'foobar', true],
    [['*'], 'anything', true],
    [['*'], '', false],
    [['prefect.flow-run.running'], 'prefect.flow-run.Running', false], // case-sensitive
    [['prefect.flow-run.?unning'], 'prefect.flow-run.Running', false], // ? is literal in the event regex
    [['prefect.flow-run.[RC]*'], 'prefect.flow-run.Running', false], // so is [
    [['a?c'], 'a?c', true], // ? still matches a literal ?
    [['[ab]'], '[ab]', false], // but a set matches nothing: the glob wants one character
    [['!prefect.flow-run.Pending'], 'prefect.flow-run.Running', false], // negation never works
    [['!prefect.flow-run.Pending'], 'prefect.flow-run.Pending', false],
    [['!foo'], '!foo', true], // only a name literally starting with the pattern gets through
    [['a.b', 'x.*'], 'x.y', true],
    [[], 'anything', false],
  ])('%j with %j is %s', (patterns, name, expected) => {
    expect(eventNameMatchesAny(patterns, name)).toBe(expected);
    expect(eventNameMatcher(patterns)(name)).toBe(expected);
  });
});

describe('expects(expect, name, after?) and startsAfter(after, name, expect?)', () => {
  it('expects every event when expect is empty; starts after nothing when after is empty', () => {
    expect(expects([], 'anything')).toBe(true);
    expect(startsAfter([], 'anything')).toBe(false);
    expect(startsAfter([], 'anything', [])).toBe(false);
  });

  it('applies the three name checks to one list when the other is not given', () => {
    expect(expects(['prefect.flow-run.*'], 'prefect.flow-run.Completed')).toBe(true);
    expect(expects(['foo*'], 'foo')).toBe(false);
    expect(startsAfter(['prefect.flow-run.Pending'], 'prefect.flow-run.Pending')).toBe(true);
    expect(startsAfter(['!prefect.flow-run.Pending'], 'prefect.flow-run.Running')).toBe(false);
  });

  it('lets the other list open the gates, as Prefect indexes expect ∪ after', () => {
    // `foo` (expect) gets the name past the regex; `foo*` (after) then globs `foo`
    expect(startsAfter(['foo*'], 'foo', ['foo'])).toBe(true);
    expect(startsAfter(['foo*'], 'foo')).toBe(false);
    expect(expects(['foo*'], 'foo', ['foo'])).toBe(true);
    expect(expects(['prefect.flow-run.Completed'], 'prefect.flow-run.Completed', ['prefect.flow-run.*'])).toBe(true);
    expect(expects(['prefect.flow-run.Completed'], 'prefect.flow-run.Running', ['prefect.flow-run.*'])).toBe(false);
  });

  it('gives after the bare label matcher when expect is empty, negation included', () => {
    expect(startsAfter(['!prefect.flow-run.Pending'], 'prefect.flow-run.Running', [])).toBe(true);
    expect(startsAfter(['!prefect.flow-run.Pending'], 'prefect.flow-run.Pending', [])).toBe(false);
    expect(startsAfter(['prefect.flow-run.Pending*'], 'prefect.flow-run.Pending', [])).toBe(true);
    expect(startsAfter(['*'], '\nleading newline', [])).toBe(false); // `.+` cannot start on a newline
  });

  it('applies a negation only to names a positive pattern of the trigger already admits', () => {
    expect(startsAfter(['!prefect.flow-run.Pending'], 'prefect.flow-run.Running', ['prefect.flow-run.*'])).toBe(true);
    expect(startsAfter(['!prefect.flow-run.Pending'], 'prefect.flow-run.Pending', ['prefect.flow-run.*'])).toBe(false);
    expect(startsAfter(['!prefect.flow-run.Pending'], 'prefect.task-run.Running', ['prefect.flow-run.*'])).toBe(false);
    expect(expects(['!animal.walked'], 'animal.ran', ['animal.*'])).toBe(true);
    expect(expects(['!animal.walked'], 'animal.ran', ['plant.*'])).toBe(false);
  });
});

describe('resolveLabel(event, label) — find_resource_label', () => {
  it.each<[string, string | undefined]>([
    ['name', 'Hello!'], // top level
    ['related:role-1:name', 'Related 1'], // the first resource in the role
    ['related:role-2:name', 'Related 3'],
    ['related:psychout:name', 'Psych!'], // no resource in the role: the whole string on the primary resource
    ['related:role-1:prefect.resource.id', 'related-1'],
    ['related:role-1:missing', undefined], // the first one answers even without the label
    ['related:role-3:name', undefined],
    ['related:name', undefined], // no role part
    ['missing', undefined],
    ['toString', undefined],
  ])('%j is %j', (label, value) => {
    expect(resolveLabel(exampleEvent, label)).toBe(value);
  });

  it('does not look past the first resource in the role', () => {
    const event: Pick<Event, 'resource' | 'related'> = {
      resource: { 'prefect.resource.id': 'x' },
      related: [
        { 'prefect.resource.id': 'a', 'prefect.resource.role': 'flow' },
        { 'prefect.resource.id': 'b', 'prefect.resource.role': 'flow', 'prefect.resource.name': 'B' },
      ],
    };
    expect(resolveLabel(event, 'related:flow:prefect.resource.name')).toBeUndefined();
  });

  it('splits the label at the last colon, so a role may contain colons', () => {
    const event: Pick<Event, 'resource' | 'related'> = {
      resource: { 'prefect.resource.id': 'x' },
      related: [{ 'prefect.resource.id': 'a', 'prefect.resource.role': 'a:b', colour: 'red' }],
    };
    expect(resolveLabel(event, 'related:a:b:colour')).toBe('red');
  });
});

describe('bucketKey(forEach, event) and triggeringLabels(forEach, key)', () => {
  it('returns values in sorted label order (for_each_related_label)', () => {
    const forEach = ['related:meal:species', 'related:meal:genus'];
    expect(bucketKey(forEach, woodchonkNibbled)).toEqual(['Hemerocallis', 'fulva']);
    expect(bucketKey(forEach, woodchonkGobbled)).toEqual(['Dicentra', 'cucullaria']);
    expect(triggeringLabels(forEach, ['Hemerocallis', 'fulva'])).toEqual({
      'related:meal:genus': 'Hemerocallis',
      'related:meal:species': 'fulva',
    });
  });

  it('uses an empty string for a missing label and an empty key without for_each', () => {
    expect(bucketKey(['prefect.resource.id', 'nope'], woodchonkWalked)).toEqual(['', 'woodchonk']);
    expect(bucketKey([], woodchonkWalked)).toEqual([]);
    expect(triggeringLabels([], [])).toEqual({});
  });

  it('treats for_each as a set', () => {
    expect(bucketKey(['genus', 'genus'], woodchonkWalked)).toEqual(['Marmota']);
  });

  it('sorts labels by code point, as Python does', () => {
    expect(sortedLabels(['😀', '\uff5e', 'b', 'a'])).toEqual(['a', 'b', '\uff5e', '😀']);
  });

  it('zips only as far as both lists go', () => {
    expect(triggeringLabels(['a', 'b'], ['1'])).toEqual({ a: '1' });
    expect(triggeringLabels(['a'], ['1', '2'])).toEqual({ a: '1' });
  });

  it('keeps a label named __proto__ as an own property', () => {
    const labels = triggeringLabels(['__proto__'], ['x']);
    expect(Object.keys(labels)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });
});

describe('resource helpers', () => {
  it('resourceId returns prefect.resource.id', () => {
    expect(resourceId(woodchonkWalked.resource)).toBe('woodchonk');
  });

  it('resourceInRole returns the first related resource in the role (test_finding_resource_in_role)', () => {
    expect(resourceInRole(exampleEvent, 'role-1')?.['prefect.resource.id']).toBe('related-1');
    expect(resourceInRole(exampleEvent, 'role-2')?.['prefect.resource.id']).toBe('related-3');
    expect(resourceInRole(exampleEvent, 'role-3')).toBeUndefined();
  });

  it('resourcesInRole returns every related resource in the role, in order (test_finding_resources_in_role)', () => {
    expect(resourcesInRole(exampleEvent, 'role-1').map(resourceId)).toEqual(['related-1', 'related-2']);
    expect(resourcesInRole(exampleEvent, 'role-2').map(resourceId)).toEqual(['related-3']);
    expect(resourcesInRole(exampleEvent, 'role-3')).toEqual([]);
  });

  it('getLabel ignores inherited properties', () => {
    const resource: Resource = { 'prefect.resource.id': 'x' };
    expect(getLabel(resource, 'prefect.resource.id')).toBe('x');
    expect(getLabel(resource, 'hasOwnProperty')).toBeUndefined();
  });
});
