// Property-based fuzzing of the two ways a sender's bytes enter tripwire, over real HTTP: /hooks/:slug (no key; its
// sender is hostile by definition) and POST /api/events. Whatever the method, headers and body, the answer is a
// success or a clear refusal, never a server error, and the process stays healthy. Runs are seeded and bounded, so a
// failure reproduces and the suite fits in npm test.
import crypto from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../core/json-depth';
import { DIALECTS } from '../helpers/db';
import { readJson, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const MAX_BODY_BYTES = 1_048_576; // WEBHOOK_MAX_BODY_BYTES's default
// Fixed so that a failure reproduces; TRIPWIRE_TEST_FUZZ_SEED and _RUNS explore further by hand.
const SEED = Number(process.env.TRIPWIRE_TEST_FUZZ_SEED ?? 20_2612);
const RUNS = Number(process.env.TRIPWIRE_TEST_FUZZ_RUNS ?? 150);

/** What a webhook may answer: accepted, refused, unknown slug, method not allowed, too large, wrong media type. */
const HOOK_STATUSES = [204, 400, 404, 405, 413, 415];

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Body;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** A body that prints as its kind, size and first bytes, so a counterexample stays readable. */
class Body {
  constructor(
    readonly kind: string,
    readonly bytes: Buffer,
  ) {}
  [fc.toStringMethod](): string {
    const head = this.bytes.subarray(0, 120).toString('latin1');
    return `${this.kind} body of ${this.bytes.length} bytes: ${JSON.stringify(head)}${this.bytes.length > 120 ? '…' : ''}`;
  }
}

/** Sends `request` as is (any method, raw bytes) and resolves to the status. */
function send(base: string, request: Sent): Promise<number> {
  const url = new URL(request.path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: request.method, headers: { ...request.headers, 'content-length': request.body.bytes.length }, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body.bytes);
  });
}

// ---- bodies -------------------------------------------------------------------------------------------------------

const text = fc.string({ unit: 'binary', maxLength: 40 }); // any code point, lone surrogates and NUL included
const label = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 3, arbitrary: fc.constantFrom('', 'a', '\u0000', '\ud800', 'prefect.resource.id', '__proto__') },
  // Past what PostgreSQL can index (2,704 bytes), incompressible.
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 700, maxLength: 1500 }) },
);

const deep = fc
  .tuple(fc.integer({ min: MAX_JSON_DEPTH - 2, max: 30_000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
  .map(([depth, open, valid]) => {
    const close = open === '[' ? ']' : '}';
    const inner = open === '[' ? '' : '1';
    return open.repeat(depth) + inner + (valid ? close.repeat(depth) : '');
  });
const wide = fc
  .tuple(fc.integer({ min: 1000, max: 5000 }), fc.boolean())
  .map(([n, array]) =>
    array
      ? JSON.stringify(Array.from({ length: n }, (_, i) => i))
      : JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
  );
const numbers = fc.constantFrom(
  '{"n": 1e999999}',
  '{"n": -1e999999, "m": 123456789012345678901234567890123456789}',
  '[1e-400, -0, 0.1e1, 5E+2]',
  '{"event": 1e309, "resource": {"prefect.resource.id": 1e309}}',
);
const duplicates = fc.constantFrom(
  '{"a": 1, "a": 2, "a": {"b": 3}}',
  '{"event": "x", "event": "y", "resource": {"prefect.resource.id": "a", "prefect.resource.id": "b"}}',
);
const prototypes = fc.constantFrom(
  '{"__proto__": {"polluted": true}, "event": "x", "resource": {"prefect.resource.id": "y"}}',
  '{"constructor": {"prototype": {"polluted": true}}, "model": "m"}',
  '{"resource": {"__proto__": {"prefect.resource.id": "z"}}, "event": "e"}',
  '{"payload": {"__proto__": null}, "related": [{"__proto__": {}}], "event": "e", "resource": {"prefect.resource.id": "r"}}',
);
/** Something shaped like a Prefect event, with hostile values: what `{{ body|tojson }}` passes on. */
const eventLike = fc
  .record(
    {
      id: fc.oneof(fc.uuid(), text),
      event: label,
      occurred: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        text,
        fc.constantFrom('2026-13-45T99:99:99Z'),
      ),
      resource: fc
        .tuple(label, fc.dictionary(label, fc.oneof(label, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 3 }))
        .map(([id, rest]) => ({ ...rest, 'prefect.resource.id': id })),
      related: fc.array(fc.dictionary(label, label, { maxKeys: 3 }), { maxLength: 3 }),
      payload: fc.jsonValue({ maxDepth: 4 }),
      follows: fc.oneof(fc.constant(null), fc.uuid(), text),
      model: label,
      friendly_name: label,
      items: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
    },
    { requiredKeys: ['event', 'resource'] },
  )
  .map((value) => JSON.stringify(value));
const form = fc.array(fc.tuple(label, label), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString());
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from('{"model": "\xed\xa0\x80"}', 'latin1'), // an encoded surrogate
  Buffer.concat([Buffer.from('{"model": "'), Buffer.from([0xf0, 0x28, 0x8c, 0xbc]), Buffer.from('"}')]),
);

const bytes = (kind: string, arbitrary: fc.Arbitrary<string | Uint8Array>): fc.Arbitrary<Body> =>
  arbitrary.map((value) => new Body(kind, Buffer.from(value)));

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 3, arbitrary: bytes('deep', deep) },
  { weight: 1, arbitrary: bytes('wide', wide) },
  { weight: 2, arbitrary: bytes('binary', fc.uint8Array({ maxLength: 512 })) },
  { weight: 2, arbitrary: bytes('invalid UTF-8', invalidUtf8) },
  { weight: 1, arbitrary: bytes('huge numbers', numbers) },
  { weight: 1, arbitrary: bytes('duplicate keys', duplicates) },
  { weight: 2, arbitrary: bytes('__proto__', prototypes) },
  { weight: 5, arbitrary: bytes('event-like', eventLike) },
  { weight: 2, arbitrary: bytes('JSON', fc.json({ maxDepth: 5 })) },
  { weight: 1, arbitrary: bytes('form', form) },
  { weight: 1, arbitrary: bytes('empty', fc.constant('')) },
  {
    weight: 1,
    arbitrary: bytes(
      'over the limit',
      fc.integer({ min: 1, max: 4096 }).map((n) => Buffer.alloc(MAX_BODY_BYTES + n, '[')),
    ),
  },
);

// ---- headers ------------------------------------------------------------------------------------------------------

/** Header values node's client will send: visible ASCII, spaces and Latin-1 (no CR/LF, no DEL). */
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xfe }).map((c) => String.fromCharCode(c === 0x7f ? 0xff : c)),
});
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'text/plain',
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
    'application/vnd.api+json',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    ';;;',
    'application/json; charset=latin1',
  ),
  headerValue,
);
const headers = fc
  .record(
    {
      'content-type': contentType,
      'ce-specversion': fc.constantFrom('1.0', '0.3', ''),
      'ce-type': label.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      'ce-source': headerValue,
      'ce-id': headerValue,
      'x-thing': headerValue,
      authorization: headerValue,
      'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'nonsense'),
    },
    { requiredKeys: [] },
  )
  .chain((known) =>
    fc
      .dictionary(
        headerName.filter((n) => !['content-length', 'transfer-encoding', 'host', 'connection', 'expect'].includes(n)),
        headerValue,
        { maxKeys: 4 },
      )
      .map((extra) => ({ ...extra, ...known })),
  );

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constant('POST') },
  { weight: 4, arbitrary: fc.constantFrom('GET', 'HEAD', 'DELETE', 'PUT', 'PATCH') },
  // Not CONNECT: Node's server closes such a connection without an answer, which is right for a webhook URL.
  { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'TRACE', 'PROPFIND', 'LOCK') },
);

// ---- templates ----------------------------------------------------------------------------------------------------

const TEMPLATES = {
  static: `{"event": "model.refreshed", "resource": {"prefect.resource.id": "product.models.recommendations"}}`,
  tojson: '{{ body|tojson }}',
  fields: `{
    "event": "model.{{ body.model }}",
    "resource": {
      "prefect.resource.id": "product.models.{{ body.model }}",
      "prefect.resource.name": "{{ body.friendly_name }}",
      "thing": "{{ headers['x-thing'] }}"
    },
    "payload": {"items": {{ body['items']|tojson }}, "first": {{ body.items[0]|tojson }}}
  }`,
  loops: `{
    "event": "fuzz.loop",
    "resource": {"prefect.resource.id": "fuzz.{% for key in body %}{{ key }}.{% endfor %}"},
    "payload": {"items": [{% for item in body['items'] %}{{ item|tojson }}{% if not loop.last %},{% endif %}{% endfor %}]}
  }`,
  cloudevents: '{{ body|from_cloud_event(headers) }}',
};

describe.each(DIALECTS)('hostile input on %s', (dialect) => {
  let tw: TestTripwire;
  const slugs: string[] = [];

  beforeAll(async () => {
    tw = await startTestTripwire({ dialect, worker: false });
    for (const [name, template] of Object.entries(TEMPLATES)) {
      const response = await tw.api('POST', '/api/webhooks', { name: `fuzz-${name}`, template });
      expect(response.status).toBe(201);
      slugs.push((await response.json()).slug);
    }
  });
  afterAll(async () => {
    await tw?.stop();
  });

  async function expectHealthy(): Promise<void> {
    const health = await readJson(await fetch(`${tw.url}/healthz`));
    expect(health.status).toBe('ok');
  }

  it('answers every webhook request with 204, 400, 404, 405, 413 or 415, never a server error', async () => {
    const seen = new Map<number, number>();
    let cases = 0;
    const slug = fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(...slugs) },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/) },
    );
    await fc.assert(
      fc.asyncProperty(method, slug, headers, body, async (m, s, h, b) => {
        cases++;
        const status = await send(tw.url, { method: m, path: `/hooks/${s}`, headers: h, body: b });
        seen.set(status, (seen.get(status) ?? 0) + 1);
        expect(HOOK_STATUSES).toContain(status);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    process.stdout.write(
      `webhook fuzz on ${dialect}: ${cases} cases, statuses ${JSON.stringify(Object.fromEntries(seen))}\n`,
    );
    expect(seen.get(204)).toBeGreaterThan(0);
    expect(seen.get(400)).toBeGreaterThan(0);
    await expectHealthy();
  }, 120_000);

  it('refuses a JSON body nested 50,000 deep with 400 naming the limit, and records the failure event', async () => {
    const depth = 50_000;
    const response = await fetch(`${tw.url}/hooks/${slugs[0]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '['.repeat(depth) + ']'.repeat(depth),
    });
    expect(response.status).toBe(400);
    const detail = JSON.stringify(await response.json());
    expect(detail).toContain(`more than ${MAX_JSON_DEPTH} levels deep`);
    const page = await (await tw.api('GET', '/api/events?event=prefect-cloud.webhook.failed&limit=500')).json();
    expect(
      page.events.some((e: { payload: { reason?: string } }) => e.payload.reason?.includes(`${MAX_JSON_DEPTH} levels`)),
    ).toBe(true);
  });

  it('answers every POST /api/events with a 2xx or 4xx, never a server error', async () => {
    const seen = new Map<number, number>();
    let cases = 0;
    const eventsBody = fc.oneof(
      { weight: 4, arbitrary: body },
      {
        weight: 4,
        arbitrary: bytes(
          'batch',
          fc.array(eventLike, { maxLength: 4 }).map((all) => `[${all.join(',')}]`),
        ),
      },
    );
    const eventsHeaders = headers.map((h) => ({ ...h, authorization: `Bearer ${tw.apiKey}` }));
    await fc.assert(
      fc.asyncProperty(eventsHeaders, eventsBody, async (h, b) => {
        cases++;
        const status = await send(tw.url, { method: 'POST', path: '/api/events', headers: h, body: b });
        seen.set(status, (seen.get(status) ?? 0) + 1);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    process.stdout.write(
      `events API fuzz on ${dialect}: ${cases} cases, statuses ${JSON.stringify(Object.fromEntries(seen))}\n`,
    );
    expect(seen.get(204)).toBeGreaterThan(0);
    await expectHealthy();
  }, 120_000);

  it('refuses an event nested 50,000 deep with 400 naming the limit', async () => {
    const depth = 50_000;
    const payload = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const response = await tw.api(
      'POST',
      '/api/events',
      `{"id": "${crypto.randomUUID()}", "event": "deep", "resource": {"prefect.resource.id": "deep"}, "payload": ${payload}}`,
    );
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain(`more than ${MAX_JSON_DEPTH} levels deep`);
  });
});
