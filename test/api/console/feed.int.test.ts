// The feed page's filters, paging and histogram over HTTP on both databases (no browser needed): what the page lists
// is what the filters select, and the histogram counts every event once, including events on a slice's boundary.
import crypto from 'node:crypto';
import { DIALECTS } from '../../helpers/db';
import { startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

/** Signs in as a browser would and returns the session cookie header. */
async function signIn(url: string, key: string): Promise<string> {
  const form = await fetch(`${url}/sign-in`);
  const nonce = form.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const response = await fetch(`${url}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: nonce },
    body: new URLSearchParams({ _csrf: csrf, key }).toString(),
  });
  expect(response.status).toBe(303);
  return response.headers
    .getSetCookie()
    .find((c) => c.startsWith('tripwire_session='))!
    .split(';')[0]!;
}

const event = (name: string, occurred: string, resource: string, extra: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  occurred,
  event: name,
  resource: { 'prefect.resource.id': resource },
  ...extra,
});

describe.each(DIALECTS)('console feed on %s', (dialect) => {
  let tw: TestTripwire;
  let cookie: string;
  const page = async (path: string) => {
    const response = await fetch(`${tw.url}${path}`, { headers: { cookie } });
    expect(response.status).toBe(200);
    return response.text();
  };
  const names = (html: string) => [...html.matchAll(/<a href="\/events\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);

  beforeAll(async () => {
    tw = await startTestTripwire({ dialect, worker: false });
    cookie = await signIn(tw.url, tw.apiKey);
    const response = await tw.api('POST', '/api/events', [
      // On the histogram's slice boundaries of the range 00:00–00:48 (48 slices of a minute): the range's start, a
      // slice's start, the last microsecond of a slice, and the range's end (both bounds are inclusive).
      event('edge.start', '2026-01-01T00:00:00.000Z', 'a.1'),
      event('edge.slice', '2026-01-01T00:01:00.000Z', 'a.2'),
      event('edge.before', '2026-01-01T00:00:59.999999Z', 'b.1'),
      event('edge.end', '2026-01-01T00:48:00.000Z', 'b.2', {
        related: [{ 'prefect.resource.id': 'tag.x', 'prefect.resource.role': 'tag' }],
        payload: { note: 'needle' },
      }),
      ...Array.from({ length: 60 }, (_, i) =>
        event(`bulk.${i}`, new Date(Date.UTC(2026, 0, 1, 1, 0, i)).toISOString(), 'bulk'),
      ),
    ]);
    expect(response.status).toBe(204);
  });
  afterAll(() => tw.stop());

  it('counts every event of the range once in the histogram', async () => {
    const svg = await page('/feed/histogram.svg?since=2026-01-01T00:00:00Z&until=2026-01-01T00:48:00Z');
    expect(svg).toMatch(/aria-label="4 events from 2026-01-01T00:00:00.000Z/);
    const bars = [...svg.matchAll(/<title>(\d+) from ([^<]+)<\/title>/g)].map((m) => [m[2], Number(m[1])]);
    expect(bars).toEqual([
      ['2026-01-01 00:00:00.000', 2],
      ['2026-01-01 00:01:00.000', 1],
      ['2026-01-01 00:48:00.000', 1],
    ]);
    const filtered = await page(
      '/feed/histogram.svg?since=2026-01-01T00:00:00Z&until=2026-01-01T02:00:00Z&event=bulk.',
    );
    expect(filtered).toMatch(/aria-label="60 events from/);
  });

  it('lists what the filters select, newest first', async () => {
    const range = 'since=2026-01-01T00:00:00Z&until=2026-01-01T00:48:00Z';
    expect(names(await page(`/?${range}`))).toEqual(['edge.end', 'edge.slice', 'edge.before', 'edge.start']);
    expect(names(await page(`/?${range}&event=edge.s`))).toEqual(['edge.slice', 'edge.start']);
    expect(names(await page(`/?${range}&resource=a.*`))).toEqual(['edge.slice', 'edge.start']);
    expect(names(await page(`/?${range}&resource=b.1`))).toEqual(['edge.before']);
    expect(names(await page(`/?${range}&related=tag.x`))).toEqual(['edge.end']);
    expect(names(await page(`/?${range}&text=needle`))).toEqual(['edge.end']);
    const bad = await fetch(`${tw.url}/?since=yesterday-ish`, { headers: { cookie } });
    expect(bad.status).toBe(400);
  });

  it('pages to older events without repeating or skipping any', async () => {
    const seen: string[] = [];
    let path: string | undefined = '/?event=bulk.&since=2026-01-01T00:00:00Z';
    while (path) {
      const html = await page(path);
      seen.push(...(names(html) as string[]));
      path = /<a href="(\/\?[^"]+)" rel="next">/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    }
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => `bulk.${59 - i}`));
  });
});
