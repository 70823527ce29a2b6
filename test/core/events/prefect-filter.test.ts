// Prefect's EventFilter as tripwire parses and evaluates it; the database's agreement with the evaluator is in
// test/db/event-filter-queries.int.test.ts.
import { filterIncludes, parseTextQuery, prefectEventFilterSchema } from '../../../core/events/prefect-filter';
import { makeEvent } from '../../helpers/factories';

const NOW = new Date('2026-06-15T13:45:00.000Z');
const schema = prefectEventFilterSchema(() => NOW);

describe('EventFilter parsing', () => {
  it('fills Prefect defaults: 180 days before the start of today until now, newest first', () => {
    expect(schema.parse({})).toEqual({
      occurred: { since: '2025-12-17T00:00:00.000Z', until: '2026-06-15T13:45:00.000Z' },
      event: undefined,
      resource: undefined,
      related: [],
      any_resource: [],
      id: [],
      text: undefined,
      order: 'DESC',
    });
  });

  it("accepts exactly what Prefect's client sends, nulls included", () => {
    const sent = {
      occurred: { since: '2026-06-07T00:00:00Z', until: '2026-12-04T01:19:25.670707Z' },
      event: { prefix: ['prefect.flow-run.'], exclude_prefix: null, name: null, exclude_name: null },
      resource: null,
      related: { id: null, role: ['flow'], resources_in_roles: null, labels: null },
      any_resource: null,
      id: { id: [] },
      text: null,
      order: 'DESC',
    };
    const parsed = schema.parse(sent);
    expect(parsed.occurred).toEqual({ since: '2026-06-07T00:00:00.000Z', until: '2026-12-04T01:19:25.670707Z' });
    expect(parsed.related).toEqual([{ id: null, role: ['flow'], resources_in_roles: null, labels: null }]);
  });

  it.each([
    [{ colour: 'red' }, ''],
    [{ event: { prefixes: ['a'] } }, 'event'],
    [{ occurred: { since: 'yesterday' } }, 'occurred.since'],
    [{ id: { id: ['not-a-uuid'] } }, 'id.id.0'],
    [{ text: { query: 'x'.repeat(201) } }, 'text.query'],
    [{ order: 'SIDEWAYS' }, 'order'],
    [{ related: [{ role: 'flow' }] }, 'related'],
  ])('rejects %j, naming %s', (input, path) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});

describe('EventFilter evaluation', () => {
  const event = makeEvent({
    occurred: '2026-06-15T12:00:00.000Z',
    event: 'prefect.flow-run.Completed',
    resource: { 'prefect.resource.id': 'prefect.flow-run.1', env: 'prod' },
    related: [{ 'prefect.resource.id': 'prefect.flow.etl', 'prefect.resource.role': 'flow', team: 'data' }],
    payload: { note: 'Took 3 Retries' },
  });
  const includes = (filter: unknown) => filterIncludes(schema.parse(filter), event);

  it('bounds occurred, inclusive at both ends', () => {
    expect(includes({ occurred: { since: event.occurred, until: event.occurred } })).toBe(true);
    expect(includes({ occurred: { since: '2026-06-15T12:00:00.000001Z' } })).toBe(false);
    expect(includes({ occurred: { until: '2026-06-15T11:59:59.999999Z' } })).toBe(false);
  });

  it('a related filter needs one related resource meeting all of it, never the primary unless its role is named', () => {
    expect(includes({ related: { id: ['prefect.flow.etl'], role: ['flow'] } })).toBe(true);
    expect(includes({ related: { id: ['prefect.flow.etl'], role: ['tag'] } })).toBe(false);
    expect(includes({ related: { id: ['prefect.flow-run.1'] } })).toBe(false);
    expect(includes({ related: { id: ['prefect.flow-run.1'], role: [''] } })).toBe(true);
    expect(includes({ related: { labels: { team: 'd*', 'prefect.resource.role': 'flow' } } })).toBe(true);
    expect(includes({ related: { labels: { team: '!data' } } })).toBe(false);
  });

  it('labels: a missing label fails even a negated pattern; an empty list matches nothing', () => {
    expect(includes({ resource: { labels: { env: '!dev' } } })).toBe(true);
    expect(includes({ resource: { labels: { region: '!eu' } } })).toBe(false);
    expect(includes({ resource: { labels: { env: [] } } })).toBe(false);
    expect(includes({ resource: { labels: {} } })).toBe(true);
  });

  it('text search reads the name, label values and payload, case-insensitively', () => {
    expect(includes({ text: { query: 'retries' } })).toBe(true);
    expect(includes({ text: { query: 'DATA' } })).toBe(true);
    expect(includes({ text: { query: 'env' } })).toBe(false); // a label name, not a value
    expect(includes({ text: { query: 'retries -etl' } })).toBe(false);
    expect(includes({ text: { query: '+retries +missing' } })).toBe(false);
  });
});

describe("Prefect's text query syntax", () => {
  it('splits terms, prefixes and quoted phrases as Prefect does', () => {
    expect(parseTextQuery('error -debug !trace +required "connection timeout" -"a \\"quoted\\" bit" - lone')).toEqual({
      include: ['error', 'connection timeout', 'lone'],
      exclude: ['debug', 'trace', 'a "quoted" bit'],
      required: ['required'],
    });
    expect(parseTextQuery('   ')).toEqual({ include: [], exclude: [], required: [] });
    expect(parseTextQuery('"unclosed phrase')).toEqual({ include: ['unclosed phrase'], exclude: [], required: [] });
  });
});
