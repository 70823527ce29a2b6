// The zod shortcut must agree with zod: whatever it accepts parses to the same value, and whatever zod refuses (or
// would change) it leaves to zod.
import { fastParseEventInput } from '../../../core/events/fast-parse';
import { DEFAULT_EVENT_LIMITS, makeEventSchemas } from '../../../core/events/schema';

const { eventInput } = makeEventSchemas(DEFAULT_EVENT_LIMITS);
const ID = '5f0cfb53-1e3c-4f4b-9e6a-1c8f5b3c2d1e';
const base = { event: 'model.refreshed', resource: { 'prefect.resource.id': 'product.models.a' } };
const webhook = { 'prefect.resource.id': 'prefect-cloud.webhook.1', 'prefect.resource.role': 'webhook' };

const taken: [string, unknown][] = [
  ['the least event', base],
  ['every field', { ...base, id: ID, occurred: '2024-01-31T12:00:00.000Z', related: [webhook], payload: { a: 1 } }],
  ['microseconds', { ...base, occurred: '2021-02-03T04:05:06.000007Z' }],
  ['an offset to normalise', { ...base, occurred: '2024-01-31T14:00:00+02:00' }],
  ['a naive time', { ...base, occurred: '2024-01-31 12:00' }],
  ['an upper-case id', { ...base, id: ID.toUpperCase() }],
  ['a bare-hex id', { ...base, id: ID.replace(/-/g, '') }],
  ['a follows id', { ...base, follows: ID }],
  ['a null follows', { ...base, follows: null }],
  ['an empty payload', { ...base, payload: {} }],
  ['nested payload values', { ...base, payload: { headers: { a: 'b' }, body: [1, { x: null }] } }],
  ['many labels', { ...base, resource: { 'prefect.resource.id': 'x', 'prefect.resource.name': 'X', team: '' } }],
  ['a null-prototype resource', { ...base, resource: Object.assign(Object.create(null) as object, base.resource) }],
];

const left: [string, unknown][] = [
  ['not an object', 'event'],
  ['an array', [base]],
  ['no event', { resource: base.resource }],
  ['an empty event name', { ...base, event: '' }],
  ['a numeric label', { ...base, resource: { 'prefect.resource.id': 'x', count: 3 } }],
  ['an empty resource id', { ...base, resource: { 'prefect.resource.id': '' } }],
  ['no resource id', { ...base, resource: { name: 'x' } }],
  ['a related resource without role', { ...base, related: [{ 'prefect.resource.id': 'y' }] }],
  ['related not an array', { ...base, related: webhook }],
  ['a bad id', { ...base, id: 'nope' }],
  ['a bad time', { ...base, occurred: 'yesterday' }],
  ['a bad follows', { ...base, follows: 7 }],
  ['an array payload', { ...base, payload: [1] }],
  ['an unknown field zod drops', { ...base, received: '2024-01-31T12:00:00Z' }],
  ['a __proto__ label', { ...base, resource: JSON.parse('{"prefect.resource.id":"x","__proto__":"y"}') as object }],
  ['a __proto__ payload key', { ...base, payload: JSON.parse('{"__proto__":{"polluted":true}}') as object }],
  ['too many related', { ...base, related: Array.from({ length: 101 }, () => webhook) }],
  ['a name over the limit', { ...base, event: 'e'.repeat(1025) }],
  ['a size near the limit', { ...base, payload: { big: 'x'.repeat(600_000) } }],
  ['a name over the byte limit', { ...base, event: '😀'.repeat(1000) }],
  ['a resource id over the byte limit', { ...base, resource: { 'prefect.resource.id': 'é'.repeat(1100) } }],
  ['a NUL in the event name', { ...base, event: 'a\u0000b' }],
  ['a NUL in a label value', { ...base, resource: { 'prefect.resource.id': 'x', name: '\u0000' } }],
  ['a NUL in a label name', { ...base, related: [{ ...webhook, 'a\u0000': 'b' }] }],
];

describe('fastParseEventInput', () => {
  it.each(taken)('parses %s exactly as zod does', (_, input) => {
    const fast = fastParseEventInput(input, DEFAULT_EVENT_LIMITS);
    expect(fast).toBeDefined();
    expect(fast).toStrictEqual(eventInput.parse(input));
    expect(JSON.stringify(fast)).toBe(JSON.stringify(eventInput.parse(input)));
  });

  it.each(left)('leaves %s to zod', (_, input) => {
    expect(fastParseEventInput(input, DEFAULT_EVENT_LIMITS)).toBeUndefined();
  });

  it('copies what it returns, so later changes to the input do not reach the event', () => {
    const input = { ...base, resource: { ...base.resource }, payload: { a: 1 } };
    const fast = fastParseEventInput(input, DEFAULT_EVENT_LIMITS)!;
    input.resource['prefect.resource.id'] = 'changed';
    input.payload.a = 2;
    expect(fast.resource['prefect.resource.id']).toBe('product.models.a');
    expect(fast.payload).toEqual({ a: 1 });
  });
});
