import { DIALECTS } from '../helpers/db';
import { startTestTripwire, type TestResponse, type TestTripwire } from '../helpers/tripwire';

const TEMPLATE = '{"event": "model.refreshed", "resource": {"prefect.resource.id": "product.models.recommendations"}}';

describe.each(DIALECTS)('webhook management on %s', (dialect) => {
  let tw: TestTripwire;
  beforeAll(async () => {
    tw = await startTestTripwire({ dialect, worker: false });
  });
  afterAll(() => tw.stop());

  const json = async (response: TestResponse) => ({
    status: response.status,
    body: response.status === 204 ? undefined : await response.json(),
  });

  it('creates a webhook with an unguessable, server-assigned slug and its URL', async () => {
    const { status, body } = await json(
      await tw.api('POST', '/api/webhooks', { name: 'models', template: TEMPLATE, slug: 'mine' }),
    );
    expect(status).toBe(422);
    expect(body.error.details[0].message).toMatch(/slug|Unrecognized/i);

    const created = await json(
      await tw.api('POST', '/api/webhooks', { name: 'models', description: 'd', template: TEMPLATE }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'models', description: 'd', template: TEMPLATE, enabled: true });
    expect(Object.keys(created.body).sort()).toEqual(
      [
        'created',
        'description',
        'enabled',
        'handshakes',
        'id',
        'name',
        'slug',
        'template',
        'updated',
        'url',
        'verification',
      ].sort(),
    );
    expect(created.body.slug).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(created.body.url).toBe(`${tw.services.config.publicUrl}/hooks/${created.body.slug}`);
    const second = await json(await tw.api('POST', '/api/webhooks', { name: 'models', template: TEMPLATE }));
    expect(second.body.slug).not.toBe(created.body.slug);
  });

  it('rejects a template with a syntax error with 422 saying where, and saves nothing', async () => {
    const before = (await json(await tw.api('GET', '/api/webhooks'))).body.length;
    const { status, body } = await json(
      await tw.api('POST', '/api/webhooks', { name: 'broken', template: '{"event": "x",\n "resource": {{ body.a }' }),
    );
    expect(status).toBe(422);
    expect(body.error.message).toMatch(/line 2, column \d+/);
    expect((await json(await tw.api('GET', '/api/webhooks'))).body.length).toBe(before);
  });

  it('reads, patches, replaces, rotates and deletes, emitting an audit event for each change', async () => {
    const { body: created } = await json(
      await tw.api('POST', '/api/webhooks', { name: 'lifecycle', template: TEMPLATE }),
    );
    const id: string = created.id;
    expect((await json(await tw.api('GET', `/api/webhooks/${id}`))).body).toEqual(created);

    const patched = (await json(await tw.api('PATCH', `/api/webhooks/${id}`, { enabled: false }))).body;
    expect(patched).toMatchObject({ enabled: false, name: 'lifecycle', template: TEMPLATE });

    const replaced = (await json(await tw.api('PUT', `/api/webhooks/${id}`, { name: 'renamed', template: TEMPLATE })))
      .body;
    expect(replaced).toMatchObject({ name: 'renamed', description: '', enabled: true, slug: created.slug });
    expect((await tw.api('PUT', `/api/webhooks/${id}`, { name: 'no template' })).status).toBe(422);

    const rotated = (await json(await tw.api('POST', `/api/webhooks/${id}/rotate`))).body;
    expect(rotated.slug).not.toBe(created.slug);
    expect(rotated).toMatchObject({ id, name: 'renamed', template: TEMPLATE });
    expect((await fetch(`${tw.url}/hooks/${created.slug}`)).status).toBe(404);
    expect((await fetch(`${tw.url}/hooks/${rotated.slug}`)).status).toBe(204);

    expect((await tw.api('DELETE', `/api/webhooks/${id}`)).status).toBe(204);
    const missing = await json(await tw.api('GET', `/api/webhooks/${id}`));
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(`Webhook with id '${id}' not found.`);
    expect((await tw.api('DELETE', `/api/webhooks/${id}`)).status).toBe(404);

    const audit = (
      await json(await tw.api('GET', `/api/events?resource=prefect-cloud.webhook.${id}&event=tripwire.webhook.*`))
    ).body.events;
    expect(audit.map((e: { event: string }) => e.event).reverse()).toEqual([
      'tripwire.webhook.created',
      'tripwire.webhook.updated',
      'tripwire.webhook.updated',
      'tripwire.webhook.updated',
      'tripwire.webhook.deleted',
    ]);
  });

  it('returns a verification secret only when the webhook is created', async () => {
    const created = (
      await json(
        await tw.api('POST', '/api/webhooks', {
          name: 'signed',
          template: TEMPLATE,
          verification: { type: 'standard-webhooks' },
        }),
      )
    ).body;
    expect(created.verification.secret).toMatch(/^whsec_/);
    const read = (await json(await tw.api('GET', `/api/webhooks/${created.id}`))).body;
    expect(read.verification).toEqual({ type: 'standard-webhooks' });
    const listed = (await json(await tw.api('GET', '/api/webhooks'))).body;
    expect(JSON.stringify(listed)).not.toContain(created.verification.secret);
    const events = (await json(await tw.api('GET', `/api/events?resource=prefect-cloud.webhook.${created.id}`))).body;
    expect(JSON.stringify(events)).not.toContain(created.verification.secret);
  });

  it('answers malformed JSON with 400 and wrong fields with 422 naming them', async () => {
    const malformed = await tw.api('POST', '/api/webhooks', '{"name": ');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.message).toMatch(/not valid JSON/);
    const wrong = await json(await tw.api('POST', '/api/webhooks', { name: '', template: 5 }));
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['name', 'template']);
  });
  it('previews a sample request through a stored or given template, storing nothing', async () => {
    const created = (await json(await tw.api('POST', '/api/webhooks', { name: 'preview', template: TEMPLATE }))).body;
    const eventsBefore = (await json(await tw.api('GET', '/api/events?limit=500'))).body.events.length;
    const stored = await json(await tw.api('POST', `/api/webhooks/${created.id}/preview`, { request: { body: '' } }));
    expect(stored).toMatchObject({ status: 200, body: { ok: true, events: [{ event: 'model.refreshed' }] } });
    expect(stored.body.events[0].related).toContainEqual(
      expect.objectContaining({ 'prefect.resource.id': `prefect-cloud.webhook.${created.id}` }),
    );
    const broken = await json(
      await tw.api('POST', `/api/webhooks/${created.id}/preview`, {
        template: '{"event": "x", "resource": {"prefect.resource.id": "{{ body.id }}"}',
        request: { headers: { 'Content-Type': 'application/json' }, body: '{"id": "a"}' },
      }),
    );
    expect(broken.body).toMatchObject({ ok: false, stage: 'json', rendered: expect.stringContaining('"a"') });
    const syntax = await json(
      await tw.api('POST', '/api/webhooks/preview', { template: '{{ body.id ', request: { body: '{}' } }),
    );
    expect(syntax.body).toMatchObject({ ok: false, stage: 'render', line: expect.any(Number) });
    const missing = await json(await tw.api('POST', '/api/webhooks/preview', { request: {} }));
    expect(missing.status).toBe(422);
    expect((await json(await tw.api('GET', '/api/events?limit=500'))).body.events.length).toBe(eventsBefore);
    expect((await json(await tw.api('GET', `/api/webhooks/${created.id}`))).body.template).toBe(TEMPLATE);
  });
});
