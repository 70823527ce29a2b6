// Events through validate → store → route, and the routing index's lookup cost as automations grow. Each scenario
// runs in the same process and run, so the numbers compare with each other: the "no automations" row is the baseline.
import { loadConfig } from '../services/config/env';
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AutomationRecord } from '../db/automations';
import type { Event } from '../core/events/schema';
import { startDevServer } from '../services/temporal/dev-server';
import { benchServices, fmt, table } from './harness';

const N = Number(process.env.BENCH_EVENTS ?? 5000);

function event(i: number, resource: string): Event {
  return {
    id: crypto.randomUUID(),
    occurred: new Date().toISOString(),
    event: `bench.event.${i % 10}`,
    resource: { 'prefect.resource.id': resource },
    related: [],
    payload: { i },
    follows: null,
  };
}

function automation(i: number, expect: string[], resource: string): AutomationRecord {
  const now = new Date().toISOString();
  return {
    id: crypto.randomUUID(),
    name: `bench-${i}`,
    description: '',
    enabled: true,
    trigger: {
      type: 'event',
      id: crypto.randomUUID(),
      posture: 'Reactive',
      match: { 'prefect.resource.id': resource },
      match_related: {},
      after: [],
      expect,
      for_each: [],
      threshold: 1_000_000,
      within: 3600,
    },
    actions: [{ type: 'do-nothing' }],
    actions_on_trigger: [],
    actions_on_resolve: [],
    owner_resource: null,
    tags: [],
    workflow_id: `automation/bench-${i}/${crypto.randomUUID()}`,
    created: now,
    updated: now,
  };
}

export async function benchEvents(): Promise<void> {
  const server = await startDevServer({
    cliPath: loadConfig().temporal.cliPath,
    port: 17233 + Math.floor(Math.random() * 1000),
    namespace: 'default',
  });
  const rows: (string | number)[][] = [['scenario', 'events', 'seconds', 'events/s', 'ratio']];
  let baseline = 0;
  try {
    const scenarios: {
      name: string;
      automations: (i: number) => AutomationRecord | undefined;
      count: number;
      matching: string;
      batch: number;
    }[] = [
      {
        name: 'no automations, one event per request',
        automations: () => undefined,
        count: 0,
        matching: 'none',
        batch: 1,
      },
      { name: 'no automations, batches of 100', automations: () => undefined, count: 0, matching: 'none', batch: 100 },
      {
        name: '100 automations, one matching (routed to Temporal)',
        automations: (i) => automation(i, [`bench.event.*`], i === 0 ? 'bench.hit' : `bench.miss.${i}`),
        count: 100,
        matching: 'bench.hit',
        batch: 1,
      },
      {
        name: '10,000 automations, none matching',
        automations: (i) => automation(i, [`other.event.${i}`], `bench.miss.${i}`),
        count: 10_000,
        matching: 'bench.hit',
        batch: 1,
      },
    ];
    for (const scenario of scenarios) {
      const { services, cleanup } = await benchServices(server.address);
      for (let i = 0; i < scenario.count; i += 1) await services.automations.create(scenario.automations(i)!);
      services.registry.load(await services.automations.list({ enabledOnly: true }));
      services.router.start();
      const started = performance.now();
      for (let i = 0; i < N; i += scenario.batch) {
        await services.pipeline.store(
          Array.from({ length: Math.min(scenario.batch, N - i) }, (_, j) => event(i + j, scenario.matching)),
        );
      }
      // Routed events count once they have left the outbox (signalled to their workflow).
      while ((await services.events.outboxSize()) > 0) await new Promise((r) => setTimeout(r, 5));
      const seconds = (performance.now() - started) / 1000;
      const rate = N / seconds;
      if (baseline === 0) baseline = rate;
      rows.push([scenario.name, N, fmt(seconds, 2), fmt(rate), fmt(rate / baseline, 2)]);
      await services.router.stop();
      await cleanup();
    }
  } finally {
    await server.stop();
  }
  process.stdout.write(`\nevents: validate → store → route (SQLite, embedded Temporal dev server)\n`);
  table(rows);

  // The index: candidate lookup per event as automations grow (half exact names, half prefix wildcards).
  const lookup: (string | number)[][] = [['automations', 'lookups', 'µs per event', 'candidates found']];
  const { services, cleanup } = await benchServices();
  for (const size of [100, 1_000, 10_000, 100_000]) {
    services.registry.load(
      Array.from({ length: size }, (_, i) => automation(i, i % 2 === 0 ? [`app.${i}.done`] : [`app.${i}.*`], `r.${i}`)),
    );
    const names = Array.from({ length: 1000 }, (_, i) => `app.${(i * 7919) % size}.done`);
    const probe = {
      id: '',
      occurred: '',
      event: '',
      resource: { 'prefect.resource.id': 'none' },
      related: [],
      payload: {},
      follows: null,
    };
    let found = 0;
    const rounds = 20;
    const started = performance.now();
    for (let r = 0; r < rounds; r += 1) {
      for (const name of names) found += services.registry.candidates({ ...probe, event: name }).length;
    }
    const micros = ((performance.now() - started) * 1000) / (rounds * names.length);
    lookup.push([fmt(size), rounds * names.length, fmt(micros, 2), found]);
  }
  await cleanup();
  process.stdout.write('\nrouting index lookup cost (must stay flat as automations grow)\n');
  table(lookup);
}

if (require.main === module) {
  benchEvents().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  });
}
