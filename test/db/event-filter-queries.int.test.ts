// Prefect's EventFilter run by the database: every filter must select, count and page exactly the events the
// in-memory evaluator (what live subscriptions use) includes, in `occurred` order, on both databases.
import { EventFilterQueries, type PagePosition } from '../../db/event-filter-queries';
import { EventRepository } from '../../db/events';
import { filterIncludes, type PrefectEventFilter, prefectEventFilterSchema } from '../../core/events/prefect-filter';
import type { ReceivedEvent } from '../../core/events/schema';
import { createTestDb, DIALECTS, type TestDb } from '../helpers/db';
import { makeEvent } from '../helpers/factories';

const parse = (filter: unknown): PrefectEventFilter =>
  prefectEventFilterSchema(() => new Date('2026-06-01T00:00:00Z')).parse(filter);

const flow = (name: string) => ({
  'prefect.resource.id': `prefect.flow.${name}`,
  'prefect.resource.role': 'flow',
  'prefect.resource.name': name,
});
const tag = (name: string) => ({ 'prefect.resource.id': `prefect.tag.${name}`, 'prefect.resource.role': 'tag' });

/** Events one second apart from 2026-03-01, covering names, resources, labels, related resources and payloads. */
function corpus(): ReceivedEvent[] {
  const specs: Array<Partial<ReceivedEvent>> = [
    {
      event: 'prefect.flow-run.Running',
      resource: { 'prefect.resource.id': 'prefect.flow-run.1', env: 'prod' },
      related: [flow('etl'), tag('nightly')],
    },
    {
      event: 'prefect.flow-run.Completed',
      resource: { 'prefect.resource.id': 'prefect.flow-run.1', env: 'prod' },
      related: [flow('etl'), tag('nightly')],
    },
    {
      event: 'prefect.flow-run.Failed',
      resource: { 'prefect.resource.id': 'prefect.flow-run.2', env: 'dev' },
      related: [flow('report')],
      payload: { error: 'Connection Timeout' },
    },
    {
      event: 'prefect.flow-run.Running',
      resource: { 'prefect.resource.id': 'prefect.flow-run.3' },
      related: [flow('etl'), tag('adhoc')],
    },
    { event: 'Prefect.flow-run.Odd', resource: { 'prefect.resource.id': 'Prefect.flow-run.4' } },
    {
      event: 'webhook.received',
      resource: { 'prefect.resource.id': 'github.repo.tripwire', kind: 'push' },
      payload: { ref: 'refs/heads/main' },
    },
    {
      event: 'webhook.received',
      resource: { 'prefect.resource.id': 'github.repo.other', kind: 'pull_request' },
      related: [tag('ci')],
    },
    {
      event: 'prefect.automation.triggered',
      resource: { 'prefect.resource.id': 'prefect.automation.9' },
      related: [{ 'prefect.resource.id': 'prefect.flow-run.1', 'prefect.resource.role': 'triggering-event' }],
    },
    {
      event: 'prefect.flow-run.Completed',
      resource: { 'prefect.resource.id': 'prefect.flow-run.3' },
      related: [flow('etl'), tag('adhoc')],
    },
    { event: 'ünïcode.event', resource: { 'prefect.resource.id': 'x.ü' } },
  ];
  return specs.map((spec, i) => {
    const at = new Date(Date.parse('2026-03-01T00:00:00.000Z') + i * 1000).toISOString();
    return makeEvent({ occurred: at, received: at, payload: {}, related: [], ...spec });
  });
}

/** The filters under test, as a Prefect client sends them (nulls included). */
const FILTERS: Array<[string, unknown]> = [
  ['everything in the default window', {}],
  ['a time window', { occurred: { since: '2026-03-01T00:00:02Z', until: '2026-03-01T00:00:05Z' } }],
  [
    'name prefixes (case-sensitive)',
    { event: { prefix: ['prefect.flow-run.'], exclude_prefix: null, name: null, exclude_name: null } },
  ],
  [
    'excluded prefixes and names',
    { event: { exclude_prefix: ['webhook.'], exclude_name: ['prefect.flow-run.Running'] } },
  ],
  ['exact names', { event: { name: ['webhook.received', 'ünïcode.event'] } }],
  [
    'resource ids and prefixes',
    { resource: { id: ['prefect.flow-run.1', 'github.repo.other'], id_prefix: null, labels: null, distinct: false } },
  ],
  ['resource id prefix', { resource: { id_prefix: ['github.repo.', 'x.'] } }],
  ['resource labels (globs, negation)', { resource: { labels: { env: ['p*', '!dev'] } } }],
  ['resource labels with an empty list', { resource: { labels: { env: [] } } }],
  ['related by id', { related: { id: ['prefect.flow.etl'], role: null, resources_in_roles: null, labels: null } }],
  ['related by role', { related: { role: ['tag'] } }],
  ['related by id in role', { related: { resources_in_roles: [['prefect.flow-run.1', 'triggering-event']] } }],
  ['related by labels', { related: { labels: { 'prefect.resource.name': 'rep*' } } }],
  [
    'related by role label',
    { related: { labels: { 'prefect.resource.role': ['tag'], 'prefect.resource.id': 'prefect.tag.n*' } } },
  ],
  ['two related filters, both required', { related: [{ id: ['prefect.flow.etl'] }, { id: ['prefect.tag.adhoc'] }] }],
  ['a related filter that says nothing', { related: { id: null, role: null } }],
  ['any resource by id', { any_resource: { id: ['prefect.flow-run.1'] } }],
  ['any resource by prefix', { any_resource: { id_prefix: ['prefect.tag.'] } }],
  ['any resource by labels', { any_resource: { labels: { kind: 'pull*' } } }],
  // flow-run.1's events have the id on one resource and the prefix on another: only flow-run.2 has both on one.
  [
    'any resource by id and prefix on one resource',
    { any_resource: { id: ['prefect.flow.etl', 'prefect.flow-run.2'], id_prefix: ['prefect.flow-run'] } },
  ],
  ['text search', { text: { query: 'timeout' } }],
  ['text search with exclusion', { text: { query: 'etl -nightly' } }],
  ['text search with a phrase', { text: { query: '"refs/heads/main"' } }],
  ['text search in another case', { text: { query: 'TIMEOUT' } }],
  [
    'text phrase spanning two values (the search joins them with a space)',
    { text: { query: '"Completed prefect.flow-run.1"' } },
  ],
  ['resource label globs are case-sensitive', { resource: { labels: { env: ['P*', 'd?v'] } } }],
  ['oldest first', { order: 'ASC', event: { prefix: ['prefect.'] } }],
];

describe.each(DIALECTS)('Prefect event filters on %s', (dialect) => {
  let t: TestDb;
  let queries: EventFilterQueries;
  let stored: ReceivedEvent[];

  beforeAll(async () => {
    t = await createTestDb(dialect);
    const events = new EventRepository(t.db);
    queries = new EventFilterQueries(t.db);
    stored = corpus();
    await events.insert(stored);
  });
  afterAll(() => t.drop());

  /** What the filter must return: the evaluator's verdicts, newest first unless ASC (insertion breaks ties). */
  const expected = (filter: PrefectEventFilter) => {
    const included = stored.filter((event) => filterIncludes(filter, event));
    return filter.order === 'ASC' ? included : [...included].reverse();
  };

  const readAll = async (filter: PrefectEventFilter, size: number) => {
    const ids: string[] = [];
    let after: PagePosition | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await queries.page(filter, size, { after, skip: ids.length });
      ids.push(...page.events.map((e) => e.id));
      if (!page.last) return ids;
      after = page.last;
    }
    throw new Error('paging did not end');
  };

  it.each(FILTERS)('%s: count, first page and every page agree with the evaluator', async (_, raw) => {
    const filter = parse(raw);
    const want = expected(filter).map((e) => e.id);
    expect(await queries.count(filter)).toBe(want.length);
    expect((await queries.page(filter, 3)).events.map((e) => e.id)).toEqual(want.slice(0, 3));
    expect(await readAll(filter, 2)).toEqual(want);
  });

  it('the filters are not vacuous: each selects some events and leaves out others', () => {
    for (const [name, raw] of FILTERS.slice(1)) {
      const count = expected(parse(raw)).length;
      if (name === 'resource labels with an empty list') expect(count).toBe(0);
      else if (name === 'a related filter that says nothing') expect(count).toBe(stored.length);
      else {
        expect([name, count]).not.toEqual([name, 0]);
        expect(count).toBeLessThan(stored.length);
      }
    }
  });

  it('distinct resources: one event per primary resource, its newest, across pages', async () => {
    const filter = parse({ event: { prefix: ['prefect.flow-run.'] }, resource: { distinct: true } });
    expect(await queries.count(filter)).toBe(3);
    const first = await queries.page(filter, 2, { skip: 0 });
    const second = await queries.page(filter, 2, { skip: 2 });
    const ids = [...first.events, ...second.events].map((e) => e.id);
    expect(ids).toEqual([stored[8]!.id, stored[2]!.id, stored[1]!.id]);
    expect(second.last).toBeUndefined();
  });

  it('event ids: any spelling of a UUID finds the event', async () => {
    const id = stored[3]!.id;
    const filter = parse({ id: { id: [id.toUpperCase(), `urn:uuid:${id}`] } });
    expect((await queries.page(filter, 10)).events.map((e) => e.id)).toEqual([id]);
    expect(await queries.count(filter)).toBe(1);
  });

  it('time bounds and order are exact to the microsecond, where whole milliseconds are written without the last digits', async () => {
    const at = (text: string) => makeEvent({ occurred: text, received: text, event: `bounds.${dialect}` });
    const edge = [
      at('2026-04-01T00:00:00.122999Z'),
      at('2026-04-01T00:00:00.123Z'),
      at('2026-04-01T00:00:00.123001Z'),
      at('2026-04-01T00:00:00.123500Z'),
      at('2026-04-01T00:00:00.124Z'),
    ];
    await new EventRepository(t.db).insert(edge);
    const between = async (since: string, until: string) => {
      const filter = parse({ occurred: { since, until }, event: { name: [`bounds.${dialect}`] }, order: 'ASC' });
      const ids = (await queries.page(filter, 10)).events.map((e) => e.id);
      const want = edge.filter((e) => filterIncludes(filter, e)).map((e) => e.id);
      expect(ids).toEqual(want); // in time order, a whole millisecond before the microseconds after it
      expect(await queries.count(filter)).toBe(want.length);
      return edge.flatMap((e, i) => (ids.includes(e.id) ? [i] : []));
    };
    expect(await between('2026-04-01T00:00:00.123Z', '2026-04-01T00:00:00.123Z')).toEqual([1]);
    expect(await between('2026-04-01T00:00:00.123001Z', '2026-04-01T00:00:00.124Z')).toEqual([2, 3, 4]);
    expect(await between('2026-04-01T00:00:00.123Z', '2026-04-01T00:00:00.1235Z')).toEqual([1, 2, 3]);
    expect(await between('2026-04-01T00:00:00.122999Z', '2026-04-01T00:00:00.123000Z')).toEqual([0, 1]);
    expect(await between('2026-04-01T00:00:00.122Z', '2026-04-01T00:00:00.123001Z')).toEqual([0, 1, 2]);
  });
});
