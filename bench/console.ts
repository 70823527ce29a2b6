// The console's event feed over BENCH_CONSOLE_EVENTS stored events (default 100,000, all within the last 24 hours, so
// the histogram counts every one of them) on SQLite, through real HTTP:
// - server time of the feed page (first page, and a filtered page) and of its histogram, beside the same selections
//   read through the API (GET /api/events, POST /api/events/filter) as the baseline;
// - browser time (Chromium, when installed): navigation to the feed until its load event (page, script, stylesheet
//   and histogram), beside loading the API's JSON page of the same events in the same browser.
// Medians of BENCH_CONSOLE_ROUNDS rounds (default 7).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { buildApp, listen } from '../api/server';
import type { Event } from '../core/events/schema';
import { benchServices, fmt, percentile, table } from './harness';

const STORED = Number(process.env.BENCH_CONSOLE_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_CONSOLE_ROUNDS ?? 7);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function event(i: number, occurred: Date): Event {
  return {
    id: crypto.randomUUID(),
    occurred: occurred.toISOString(),
    event: `bench.${['started', 'finished', 'failed'][i % 3]}.${i % 50}`,
    resource: { 'prefect.resource.id': `bench.resource.${i % 1000}`, 'prefect.resource.name': `resource ${i % 1000}` },
    related: [{ 'prefect.resource.id': `prefect.tag.t${i % 20}`, 'prefect.resource.role': 'tag' }],
    payload: { i, note: i % 97 === 0 ? 'needle' : 'hay' },
    follows: null,
  };
}

async function median(rounds: number, once: () => Promise<void>): Promise<number> {
  await once(); // warm-up: compiled templates, prepared statements
  const times: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    const began = performance.now();
    await once();
    times.push(performance.now() - began);
  }
  return percentile(times, 50);
}

/** Signs in as a browser would and returns the session cookie. */
async function signIn(url: string, key: string): Promise<string> {
  const form = await fetch(`${url}/sign-in`);
  const nonce = /tripwire_sign_in=([^;]*)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const response = await fetch(`${url}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `tripwire_sign_in=${nonce}` },
    body: new URLSearchParams({ _csrf: csrf, key, next: '/' }).toString(),
  });
  const session = /tripwire_session=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
  if (!session) throw new Error(`sign-in failed: ${response.status}`);
  return session;
}

export async function benchConsole(): Promise<void> {
  const { services, cleanup } = await benchServices();
  const http = await listen(buildApp(services), '127.0.0.1', 0);
  try {
    const start = Date.now() - STORED * 10; // 10 ms apart: 100,000 events span under 17 minutes
    for (let i = 0; i < STORED; i += 1000) {
      await services.pipeline.store(
        Array.from({ length: Math.min(1000, STORED - i) }, (_, j) => event(i + j, new Date(start + (i + j) * 10))),
      );
    }
    const key = services.apiKey.key;
    const session = await signIn(http.url, key);
    const get = (path: string, headers: Record<string, string>) => async () => {
      const response = await fetch(`${http.url}${path}`, { headers });
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
      await response.arrayBuffer();
    };
    const api = (path: string) => get(path, { authorization: `Bearer ${key}` });
    const page = (path: string) => get(path, { cookie: `tripwire_session=${session}` });
    const filter = (body: unknown) => async () => {
      const response = await fetch(`${http.url}/api/events/filter`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`filter: ${response.status}`);
      await response.arrayBuffer();
    };

    const measures: Array<[string, () => Promise<void>]> = [
      ['GET /api/events?limit=50 (baseline)', api('/api/events?limit=50')],
      ['POST /api/events/filter, 50 and the total', filter({ limit: 50 })],
      ['console: feed, first page', page('/')],
      ['console: feed histogram (24 h, every event counted)', page('/feed/histogram.svg')],
      [
        'GET /api/events?event=bench.failed.*&resource=… (filtered baseline)',
        api('/api/events?limit=50&event=bench.failed.*&resource=bench.resource.1*'),
      ],
      ['console: feed filtered by name prefix and resource', page('/?event=bench.failed.&resource=bench.resource.1*')],
      ['console: histogram, same filter', page('/feed/histogram.svg?event=bench.failed.&resource=bench.resource.1*')],
      ['console: feed filtered by text "needle"', page('/?text=needle')],
    ];
    const rows: (string | number)[][] = [['request', 'median ms', 'ratio to baseline']];
    let baseline = 0;
    for (const [name, once] of measures) {
      const ms = await median(ROUNDS, once);
      if (baseline === 0) baseline = ms;
      rows.push([name, fmt(ms, 1), fmt(ms / baseline, 2)]);
    }
    process.stdout.write(
      `\nconsole feed, server time over ${fmt(STORED)} stored events (SQLite, medians of ${ROUNDS})\n`,
    );
    table(rows);

    if (!fs.existsSync(CHROMIUM)) {
      process.stdout.write(`\n(browser times skipped: no Chromium at ${CHROMIUM})\n`);
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const context = await browser.newContext();
      await context.addCookies([{ name: 'tripwire_session', value: session, url: http.url }]);
      const tab = await context.newPage();
      const apiContext = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${key}` } });
      const apiTab = await apiContext.newPage();
      const load = (target: typeof tab, path: string) => async () => {
        const response = await target.goto(`${http.url}${path}`, { waitUntil: 'load' });
        if (!response?.ok()) throw new Error(`${path}: ${response?.status()}`);
      };
      const browserRows: (string | number)[][] = [['navigation until load', 'median ms', 'ratio to baseline']];
      let base = 0;
      for (const [name, once] of [
        ['GET /api/events?limit=50 as JSON (baseline)', load(apiTab, '/api/events?limit=50')],
        ['console: feed, first page (with histogram)', load(tab, '/')],
        [
          'console: feed filtered by name prefix and resource',
          load(tab, '/?event=bench.failed.&resource=bench.resource.1*'),
        ],
      ] as Array<[string, () => Promise<void>]>) {
        const ms = await median(ROUNDS, once);
        if (base === 0) base = ms;
        browserRows.push([name, fmt(ms, 1), fmt(ms / base, 2)]);
      }
      process.stdout.write(`\nconsole feed, browser time (Chromium, headless)\n`);
      table(browserRows);
    } finally {
      await browser.close();
    }
  } finally {
    await http.close();
    await cleanup();
  }
}

if (require.main === module) {
  benchConsole().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  });
}
