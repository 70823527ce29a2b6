// Event and resource schemas, ported from tests/events/server/test_resource_schema.py and test_events_schema.py.
import {
  DEFAULT_EVENT_LIMITS,
  formatIssues,
  makeEventSchemas,
  RelatedResource,
  Resource,
  type EventIssue,
} from '../../../core/events/schema';
import { normaliseTimestamp } from '../../../core/events/timestamp';

const { event: eventSchema, eventInput } = makeEventSchemas(DEFAULT_EVENT_LIMITS);
const ID = '5f0cfb53-1e3c-4f4b-9e6a-1c8f5b3c2d1e';

function validEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    occurred: '2021-02-03T04:05:06.000007Z',
    event: 'hello',
    resource: { 'prefect.resource.id': 'hello' },
    id: ID,
    ...overrides,
  };
}

/** Returns the formatted issues of parsing `input` with `schema`, or [] when it is valid. */
function issuesOf(schema: { safeParse(input: unknown): { success: boolean; error?: unknown } }, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? [] : formatIssues(result.error as Parameters<typeof formatIssues>[0]);
}

function labels(count: number): Record<string, string> {
  const result: Record<string, string> = { 'prefect.resource.id': 'the.thing' };
  for (let i = 1; i < count; i++) result[`label.${i}`] = String(i);
  return result;
}

describe('Resource and RelatedResource', () => {
  it.each([
    ['Resource', Resource],
    ['RelatedResource', RelatedResource],
  ])('%s must be an object', (_name, schema) => {
    expect(issuesOf(schema, null)).toEqual([{ path: '', message: 'Expected an object of string labels, not null' }]);
    expect(issuesOf(schema, 11)).toEqual([{ path: '', message: 'Expected an object of string labels, not a number' }]);
  });

  it.each([
    ['Resource', Resource],
    ['RelatedResource', RelatedResource],
  ])('%s requires a prefect.resource.id', (_name, schema) => {
    expect(issuesOf(schema, { 'prefect.resource.role': 'any-role' })).toEqual([
      { path: 'prefect.resource.id', message: 'Required' },
    ]);
  });

  it.each([
    ['Resource', Resource],
    ['RelatedResource', RelatedResource],
  ])('%s requires a non-empty prefect.resource.id', (_name, schema) => {
    expect(issuesOf(schema, { 'prefect.resource.id': '', 'prefect.resource.role': 'r' })).toEqual([
      { path: 'prefect.resource.id', message: 'Must not be empty' },
    ]);
    expect(issuesOf(schema, { 'prefect.resource.id': null, 'prefect.resource.role': 'r' })).toEqual([
      { path: 'prefect.resource.id', message: 'Label "prefect.resource.id" must be a string, not null' },
    ]);
  });

  it('does not require a role on the primary resource', () => {
    expect(Resource.parse({ 'prefect.resource.id': 'my.unique.resource' })).toEqual({
      'prefect.resource.id': 'my.unique.resource',
    });
  });

  it('requires a non-empty role on related resources', () => {
    expect(issuesOf(RelatedResource, { 'prefect.resource.id': 'my.unique.resource' })).toEqual([
      { path: 'prefect.resource.role', message: 'Required' },
    ]);
    expect(issuesOf(RelatedResource, { 'prefect.resource.id': 'x', 'prefect.resource.role': '' })).toEqual([
      { path: 'prefect.resource.role', message: 'Must not be empty' },
    ]);
    expect(issuesOf(RelatedResource, { 'prefect.resource.id': 'x', 'prefect.resource.role': null })).toEqual([
      { path: 'prefect.resource.role', message: 'Label "prefect.resource.role" must be a string, not null' },
    ]);
  });

  it.each<[unknown, string]>([
    [null, 'null'],
    [7, 'a number'],
    [true, 'a boolean'],
    [['x'], 'an array'],
    [{ nested: 'x' }, 'an object'],
  ])('rejects the label value %j, naming the label', (value, kind) => {
    expect(issuesOf(Resource, { 'prefect.resource.id': 'my.unique.resource', 'another.thing': value })).toEqual([
      { path: 'another.thing', message: `Label "another.thing" must be a string, not ${kind}` },
    ]);
  });

  it('accepts any number of labels up to the limit, the id included (test_limit_on_labels)', () => {
    expect(Resource.safeParse(labels(500)).success).toBe(true);
    expect(issuesOf(Resource, labels(501))).toEqual([
      { path: '', message: 'resource has 501 labels, over the limit of 500' },
    ]);
    const { event } = makeEventSchemas({ ...DEFAULT_EVENT_LIMITS, maxLabelsPerResource: 10 });
    expect(issuesOf(event, validEvent({ resource: labels(11) }))).toEqual([
      { path: 'resource', message: 'resource has 11 labels, over the limit of 10' },
    ]);
  });
});

describe('makeEventSchemas(limits).event', () => {
  it('requires occurred and id (test_client_events_do_not_have_defaults_for_the_fields_it_seems_they_should)', () => {
    expect(issuesOf(eventSchema, validEvent({ occurred: undefined }))).toEqual([
      { path: 'occurred', message: 'Required' },
    ]);
    expect(issuesOf(eventSchema, validEvent({ id: undefined }))).toEqual([{ path: 'id', message: 'Required' }]);
  });

  it('fills related, payload and follows (test_client_events_may_have_empty_related_resources)', () => {
    expect(eventSchema.parse(validEvent())).toEqual({
      occurred: '2021-02-03T04:05:06.000007Z',
      event: 'hello',
      resource: { 'prefect.resource.id': 'hello' },
      related: [],
      payload: {},
      id: ID,
      follows: null,
    });
  });

  it('keeps related resources in order (test_client_events_may_have_multiple_related_resources)', () => {
    const related = [
      { 'prefect.resource.id': 'related-1', 'prefect.resource.role': 'role-1' },
      { 'prefect.resource.id': 'related-2', 'prefect.resource.role': 'role-1' },
      { 'prefect.resource.id': 'related-3', 'prefect.resource.role': 'role-2' },
    ];
    expect(eventSchema.parse(validEvent({ related })).related).toEqual(related);
  });

  it('serialises in Prefect field order (test_json_representation, without received)', () => {
    const parsed = eventSchema.parse(validEvent({ payload: { hello: 'world' }, received: '2021-02-03T04:05:06Z' }));
    expect(Object.keys(parsed)).toEqual(['occurred', 'event', 'resource', 'related', 'payload', 'id', 'follows']);
    expect(parsed.payload).toEqual({ hello: 'world' });
  });

  it('drops unknown fields such as a client-sent received', () => {
    expect(eventSchema.parse(validEvent({ received: '2021-02-03T04:05:06Z', extra: 1 }))).not.toHaveProperty(
      'received',
    );
  });

  it('names the path of every problem in related resources', () => {
    const related = [
      { 'prefect.resource.id': 'ok', 'prefect.resource.role': 'r' },
      { 'prefect.resource.id': 'missing-role' },
      { 'prefect.resource.role': 'r', count: 3 },
    ];
    expect(issuesOf(eventSchema, validEvent({ related }))).toEqual<EventIssue[]>([
      { path: 'related.1.prefect.resource.role', message: 'Required' },
      { path: 'related.2.count', message: 'Label "count" must be a string, not a number' },
    ]);
  });

  it('reports several problems at once', () => {
    expect(issuesOf(eventSchema, { event: '', resource: {}, payload: [], follows: 'nope' })).toEqual<EventIssue[]>([
      { path: 'occurred', message: 'Required' },
      { path: 'event', message: 'Must not be empty' },
      { path: 'resource.prefect.resource.id', message: 'Required' },
      { path: 'payload', message: 'Expected an object, not an array' },
      { path: 'id', message: 'Required' },
      { path: 'follows', message: 'Expected a UUID' },
    ]);
  });

  it('rejects something that is not an object', () => {
    expect(issuesOf(eventSchema, 'hello')).toEqual([{ path: '', message: 'Expected an event object, not a string' }]);
  });

  it('limits event names to 1024 characters counted as code points (test_event_name_length)', () => {
    expect(eventSchema.safeParse(validEvent({ event: 'x'.repeat(1024) })).success).toBe(true);
    expect(eventSchema.safeParse(validEvent({ event: '😀'.repeat(512) })).success).toBe(true);
    expect(issuesOf(eventSchema, validEvent({ event: 'x'.repeat(1025) }))).toEqual([
      { path: 'event', message: 'event name is 1025 characters, over the limit of 1024' },
    ]);
  });

  it('limits event names and resource ids, which the databases index, to 2048 bytes of UTF-8 (unlike Prefect)', () => {
    expect(issuesOf(eventSchema, validEvent({ event: '😀'.repeat(1024) }))).toEqual([
      { path: 'event', message: 'event name is 4096 bytes of UTF-8, over the limit of 2048' },
    ]);
    const id = 'é'.repeat(1025);
    expect(
      issuesOf(
        eventSchema,
        validEvent({
          resource: { 'prefect.resource.id': id },
          related: [{ 'prefect.resource.id': id, 'prefect.resource.role': 'r' }],
        }),
      ),
    ).toEqual([
      { path: 'resource.prefect.resource.id', message: 'resource id is 2050 bytes of UTF-8, over the limit of 2048' },
      { path: 'related.0.prefect.resource.id', message: 'resource id is 2050 bytes of UTF-8, over the limit of 2048' },
    ]);
    expect(eventSchema.safeParse(validEvent({ resource: { 'prefect.resource.id': 'é'.repeat(1024) } })).success).toBe(
      true,
    );
  });

  it('refuses U+0000 in event names, label names and label values, which PostgreSQL cannot store (unlike Prefect)', () => {
    const nul = 'a\u0000b';
    expect(
      issuesOf(
        eventSchema,
        validEvent({
          event: nul,
          resource: { 'prefect.resource.id': nul, [nul]: 'x' },
          related: [{ 'prefect.resource.id': 'r', 'prefect.resource.role': nul }],
        }),
      ),
    ).toEqual([
      { path: 'event', message: 'Must not contain the NUL character (U+0000)' },
      { path: 'resource.prefect.resource.id', message: 'Must not contain the NUL character (U+0000)' },
      { path: `resource.${nul}`, message: 'Must not contain the NUL character (U+0000)' },
      { path: 'related.0.prefect.resource.role', message: 'Must not contain the NUL character (U+0000)' },
    ]);
    expect(eventSchema.safeParse(validEvent({ payload: { text: nul } })).success).toBe(true);
  });

  it('limits related resources to 100 (test_limit_on_related_resources)', () => {
    const related = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        'prefect.resource.id': `another.thing.${i}`,
        'prefect.resource.role': 'r',
      }));
    expect(eventSchema.safeParse(validEvent({ related: related(100) })).success).toBe(true);
    expect(issuesOf(eventSchema, validEvent({ related: related(101) }))).toEqual([
      { path: 'related', message: 'event has 101 related resources, over the limit of 100' },
    ]);
  });

  it('refuses an event whose JSON is over the byte limit, counting UTF-8 bytes', () => {
    const { event } = makeEventSchemas({ ...DEFAULT_EVENT_LIMITS, maxEventBytes: 300 });
    const base = JSON.stringify(event.parse(validEvent({ payload: { text: '' } }))).length;
    const fits = 'x'.repeat(300 - base);
    expect(event.safeParse(validEvent({ payload: { text: fits } })).success).toBe(true);
    expect(issuesOf(event, validEvent({ payload: { text: `${fits}x` } }))).toEqual([
      { path: '', message: 'event is 301 bytes, over the limit of 300' },
    ]);
    // é is one UTF-16 unit but two UTF-8 bytes; 😀 is two units and four bytes
    expect(issuesOf(event, validEvent({ payload: { text: `${fits.slice(1)}é` } }))).toEqual([
      { path: '', message: 'event is 301 bytes, over the limit of 300' },
    ]);
    expect(issuesOf(event, validEvent({ payload: { text: `${fits.slice(3)}😀` } }))).toEqual([
      { path: '', message: 'event is 301 bytes, over the limit of 300' },
    ]);
  });

  it('uses the 1,500,000-byte default', () => {
    expect(eventSchema.safeParse(validEvent({ payload: { text: 'x'.repeat(1_499_000) } })).success).toBe(true);
    expect(eventSchema.safeParse(validEvent({ payload: { text: 'x'.repeat(1_500_000) } })).success).toBe(false);
  });

  it.each<[string, string]>([
    [ID.toUpperCase(), ID],
    [ID.replace(/-/g, ''), ID],
    [`{${ID}}`, ID],
    [`urn:uuid:${ID}`, ID],
  ])('normalises the id %s as pydantic reads it', (input, output) => {
    expect(eventSchema.parse(validEvent({ id: input, follows: input }))).toMatchObject({ id: output, follows: output });
  });

  it.each([`${ID}0`, ID.slice(1), `{${ID}`, `${ID.slice(0, 8)}${ID.slice(9)}`, 'not-a-uuid'])(
    'rejects the id %s',
    (id) => {
      expect(issuesOf(eventSchema, validEvent({ id }))).toEqual([{ path: 'id', message: 'Expected a UUID' }]);
    },
  );
});

describe('makeEventSchemas(limits).eventInput', () => {
  it('leaves a missing id and occurred for the caller to fill', () => {
    const parsed = eventInput.parse({ event: 'hello', resource: { 'prefect.resource.id': 'hello' } });
    expect(parsed.id).toBeUndefined();
    expect(parsed.occurred).toBeUndefined();
    expect(parsed).toMatchObject({ related: [], payload: {}, follows: null });
  });

  it('still validates an id and occurred that are given', () => {
    expect(issuesOf(eventInput, validEvent({ id: 'nope', occurred: 'yesterday' }))).toEqual([
      { path: 'occurred', message: 'Expected an ISO 8601 date-time such as 2024-01-31T12:00:00Z' },
      { path: 'id', message: 'Expected a UUID' },
    ]);
  });
});

describe('normaliseTimestamp(text)', () => {
  it.each<[string, string]>([
    ['2021-02-03T04:05:06Z', '2021-02-03T04:05:06.000Z'],
    ['2021-02-03T04:05:06.000007Z', '2021-02-03T04:05:06.000007Z'],
    ['2021-02-03T04:05:06.000078+00:00', '2021-02-03T04:05:06.000078Z'],
    ['2021-02-03T04:05:06.123Z', '2021-02-03T04:05:06.123Z'],
    ['2021-02-03T04:05:06.1234567Z', '2021-02-03T04:05:06.123456Z'],
    ['2021-02-03T04:05:06', '2021-02-03T04:05:06.000Z'], // naive = UTC
    ['2021-02-03 04:05:06', '2021-02-03T04:05:06.000Z'],
    ['2021-02-03T04:05', '2021-02-03T04:05:00.000Z'],
    ['2021-02-03T04:05:06+02:00', '2021-02-03T02:05:06.000Z'],
    ['2021-02-03T04:05:06-0530', '2021-02-03T09:35:06.000Z'],
    ['2021-02-03T01:00:00+05', '2021-02-02T20:00:00.000Z'],
    ['2024-02-29T00:00:00z', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(normaliseTimestamp(text)).toBe(iso);
  });

  it.each([
    'yesterday',
    '2021-02-03',
    '2021-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2021-13-01T00:00:00Z',
    '2021-02-03T24:00:00Z',
    '2021-02-03T04:60:00Z',
    '2021-02-03T04:05:60Z',
    '2021-02-03T04:05:06+24:00',
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00+01:00',
    ' 2021-02-03T04:05:06Z',
  ])('rejects %j', (text) => {
    expect(normaliseTimestamp(text)).toBeUndefined();
  });
});
