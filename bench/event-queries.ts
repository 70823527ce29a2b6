// Reading the feed as Prefect's clients do, on SQLite with BENCH_QUERY_EVENTS stored events (default 100,000):
// - one page and its total (POST /api/events/filter) per kind of filter; the baseline is a filter the database
//   answers from its indexes alone, so the ratios show what re-checking labels or text in memory costs;
// - a subscription (/api/events/out): the time from an event's store resolving to its subscriber receiving it, at
//   100 events/s, against the same events' own store time.
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { filterIncludes, prefectEventFilterSchema } from '../core/events/prefect-filter';
import type { Event } from '../core/events/schema';
import { benchServices, fmt, percentile, table } from './harness';

const STORED = Number(process.env.BENCH_QUERY_EVENTS ?? 100_000);
const SUBSCRIBED = Number(process.env.BENCH_SUBSCRIBED_EVENTS ?? 1000);

function event(i: number, occurred: Date): Event {
  return {
    id: crypto.randomUUID(),
    occurred: occurred.toISOString(),
    event: `bench.${['started', 'finished', 'failed'][i % 3]}.${i % 50}`,
    resource: { 'prefect.resource.id': `bench.resource.${i % 1000}`, env: i % 10 === 0 ? 'prod' : 'dev' },
    related: [{ 'prefect.resource.id': `prefect.tag.t${i % 20}`, 'prefect.resource.role': 'tag' }],
    payload: { i, note: i % 97 === 0 ? 'needle' : 'hay' },
    follows: null,
  };
}

export async function benchEventQueries(): Promise<void> {
  const { services, cleanup } = await benchServices();
  try {
    const start = Date.now() - STORED * 10;
    for (let i = 0; i < STORED; i += 1000) {
      await services.pipeline.store(
        Array.from({ length: Math.min(1000, STORED - i) }, (_, j) => event(i + j, new Date(start + (i + j) * 10))),
      );
    }
    const schema = prefectEventFilterSchema();
    const filters: Array<[string, unknown]> = [
      ['event name prefix (indexes only; baseline)', { event: { prefix: ['bench.failed.'] } }],
      ['everything, default window', {}],
      ['related tag (indexes only)', { related: { id: ['prefect.tag.t3'] } }],
      [
        'resource label env=prod (narrowed by JSON in SQL, checked in memory)',
        { resource: { labels: { env: 'prod' } } },
      ],
      ['text "needle" (narrowed by LIKE in SQL, checked in memory)', { text: { query: 'needle' } }],
    ];
    const rows: (string | number)[][] = [['filter', 'total', 'ms per page + total', 'ratio']];
    let baseline = 0;
    for (const [name, raw] of filters) {
      const filter = schema.parse(raw);
      const rounds = 5;
      let total = 0;
      const began = performance.now();
      for (let r = 0; r < rounds; r += 1) {
        const [count] = await Promise.all([
          services.eventQueries.count(filter),
          services.eventQueries.page(filter, 50),
        ]);
        total = count;
      }
      const ms = (performance.now() - began) / rounds;
      if (baseline === 0) baseline = ms;
      rows.push([name, fmt(total), fmt(ms, 1), fmt(ms / baseline, 2)]);
    }
    process.stdout.write(`\nevent queries: one page of 50 and its total over ${fmt(STORED)} stored events (SQLite)\n`);
    table(rows);

    const filter = schema.parse({ event: { prefix: ['live.'] }, occurred: { until: '2099-01-01T00:00:00Z' } });
    const storedAt = new Map<string, number>();
    const delays: number[] = [];
    const storeTimes: number[] = [];
    const unsubscribe = await services.feed.subscribe((stored) => {
      const now = performance.now();
      for (const { event: e } of stored) {
        const at = storedAt.get(e.id);
        if (at !== undefined && filterIncludes(filter, e)) delays.push(now - at);
      }
    });
    for (let i = 0; i < SUBSCRIBED; i += 1) {
      const e = { ...event(i, new Date()), event: `live.${i}` };
      const began = performance.now();
      await services.pipeline.store([e]);
      const stored = performance.now();
      storedAt.set(e.id, stored);
      storeTimes.push(stored - began);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const deadline = Date.now() + 5000;
    while (delays.length < SUBSCRIBED && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    unsubscribe();
    const p50 = percentile(delays, 50);
    const store50 = percentile(storeTimes, 50);
    process.stdout.write(`\nsubscription: stored → subscriber, ${fmt(SUBSCRIBED)} events at ~100/s\n`);
    table([
      ['measure', 'received', 'p50 ms', 'p99 ms', 'ratio to store p50'],
      ['store (baseline)', SUBSCRIBED, fmt(store50, 2), fmt(percentile(storeTimes, 99), 2), '1.00'],
      ['stored → subscriber', delays.length, fmt(p50, 2), fmt(percentile(delays, 99), 2), fmt(p50 / store50, 2)],
    ]);
  } finally {
    await cleanup();
  }
}

if (require.main === module) {
  benchEventQueries().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  });
}
