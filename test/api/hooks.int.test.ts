import crypto from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import githubExamples from '@octokit/webhooks-examples';
import Stripe from 'stripe';
import { readJson, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

// Prefect Cloud's webhook docs, verbatim.
const STATIC_TEMPLATE = `{
    "event": "model.refreshed",
    "resource": {
        "prefect.resource.id": "product.models.recommendations",
        "prefect.resource.name": "Recommendations [Products]",
        "producing-team": "Data Science"
    }
}`;
const DYNAMIC_TEMPLATE = `{
    "event": "model.refreshed",
    "resource": {
        "prefect.resource.id": "product.models.{{ body.model }}",
        "prefect.resource.name": "{{ body.friendly_name }}",
        "producing-team": "Data Science"
    }
}`;

interface StoredEvent {
  id: string;
  event: string;
  occurred: string;
  resource: Record<string, string>;
  related: Record<string, string>[];
  payload: Record<string, unknown>;
}

describe('webhook ingress /hooks/:slug', () => {
  let tw: TestTripwire;
  beforeAll(async () => {
    tw = await startTestTripwire({ worker: false });
  });
  afterAll(() => tw.stop());

  async function createWebhook(template: string, extra: Record<string, unknown> = {}) {
    const response = await tw.api('POST', '/api/webhooks', {
      name: `hook-${crypto.randomUUID().slice(0, 8)}`,
      template,
      ...extra,
    });
    expect(response.status).toBe(201);
    return (await response.json()) as {
      id: string;
      slug: string;
      url: string;
      name: string;
      verification: { secret: string } | null;
    };
  }

  async function eventsOf(webhookId: string, name?: string): Promise<StoredEvent[]> {
    const query = new URLSearchParams({ related: `prefect-cloud.webhook.${webhookId}` });
    if (name) query.set('event', name);
    const all = (await (await tw.api('GET', `/api/events?${query.toString()}`)).json()).events as StoredEvent[];
    return all;
  }

  async function failures(webhookId: string): Promise<StoredEvent[]> {
    const page = await (
      await tw.api('GET', `/api/events?event=prefect-cloud.webhook.failed&resource=prefect-cloud.webhook.${webhookId}`)
    ).json();
    return page.events as StoredEvent[];
  }

  it('turns a plain GET into the static event, adding the webhook as related and the request as payload', async () => {
    const webhook = await createWebhook(STATIC_TEMPLATE);
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      headers: { authorization: 'Bearer secret-token', 'x-custom': 'yes' },
    });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    const [event] = await eventsOf(webhook.id);
    expect(event).toMatchObject({
      event: 'model.refreshed',
      resource: { 'prefect.resource.id': 'product.models.recommendations', 'producing-team': 'Data Science' },
      related: [
        {
          'prefect.resource.id': `prefect-cloud.webhook.${webhook.id}`,
          'prefect.resource.role': 'webhook',
          'prefect.resource.name': webhook.name,
        },
      ],
      payload: { method: 'GET', body: '', headers: expect.objectContaining({ 'x-custom': 'yes' }) },
    });
    expect(event!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(Date.parse(event!.occurred) - Date.now())).toBeLessThan(60_000);
    expect(JSON.stringify(event)).not.toContain('secret-token');
  });

  it.each(['HEAD', 'DELETE', 'PUT', 'PATCH'])('accepts %s', async (method) => {
    const webhook = await createWebhook(STATIC_TEMPLATE);
    expect((await fetch(`${tw.url}/hooks/${webhook.slug}`, { method })).status).toBe(204);
  });

  it('renders a form-encoded POST with the dynamic template', async () => {
    const webhook = await createWebhook(DYNAMIC_TEMPLATE);
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'model=recommendations&friendly_name=Recommendations%20%5BProducts%5D',
    });
    expect(response.status).toBe(204);
    const [event] = await eventsOf(webhook.id);
    expect(event!.resource).toEqual({
      'prefect.resource.id': 'product.models.recommendations',
      'prefect.resource.name': 'Recommendations [Products]',
      'producing-team': 'Data Science',
    });
    expect(event!.payload).toMatchObject({
      method: 'POST',
      body: { model: 'recommendations', friendly_name: 'Recommendations [Products]' },
    });
  });

  it('gives templates case-insensitive headers without Authorization, and body.x and body["x-y"] access', async () => {
    const webhook = await createWebhook(
      '{"event": "h.{{ headers[\'X-Kind\'] }}.{{ headers[\'x-kind\'] }}", "resource": {"prefect.resource.id": "r.{{ body[\'x-y\'] }}.{{ body.x }}", "auth": "{{ headers.authorization }}"}}',
    );
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      headers: { 'X-KIND': 'k', authorization: 'Bearer hidden', 'content-type': 'text/plain' },
      body: JSON.stringify({ x: 1, 'x-y': 2 }),
    });
    expect(response.status).toBe(204);
    const [event] = await eventsOf(webhook.id);
    expect(event!.event).toBe('h.k.k');
    expect(event!.resource).toEqual({ 'prefect.resource.id': 'r.2.1', auth: '' });
  });

  it('passes a Prefect event straight through with {{ body|tojson }}', async () => {
    const webhook = await createWebhook('{{ body|tojson }}');
    const id = crypto.randomUUID();
    const sent = {
      id,
      occurred: '2026-03-01T10:00:00.000Z',
      event: 'external.thing.happened',
      resource: { 'prefect.resource.id': 'external.thing.1' },
      payload: { n: 3 },
    };
    expect(
      (
        await fetch(`${tw.url}/hooks/${webhook.slug}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(sent),
        })
      ).status,
    ).toBe(204);
    const [event] = await eventsOf(webhook.id);
    expect(event).toMatchObject({
      ...sent,
      related: [expect.objectContaining({ 'prefect.resource.role': 'webhook' })],
    });
  });

  it('maps CloudEvents in binary, structured and batch mode with {{ body|from_cloud_event(headers) }}', async () => {
    const webhook = await createWebhook('{{ body|from_cloud_event(headers) }}');
    const ce = new CloudEvent({
      id: 'ce-1',
      type: 'com.example.object.created',
      source: '/storage/bucket',
      subject: 'objects/report.csv',
      time: '2026-03-01T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: { size: 42 },
      tenant: 'acme',
    });
    for (const message of [HTTP.binary(ce), HTTP.structured(ce)]) {
      const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
        method: 'POST',
        headers: message.headers as Record<string, string>,
        body: message.body as string,
      });
      expect([response.status, response.status === 204 ? '' : await response.text()]).toEqual([204, '']);
    }
    const batch = [
      new CloudEvent({ id: 'ce-2', type: 't.a', source: '/s/a', data: { n: 1 } }),
      new CloudEvent({ id: 'ce-3', type: 't.b', source: '/s/b', data: { n: 2 } }),
    ];
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(batch.map((e) => e.toJSON())),
    });
    expect(response.status).toBe(204);
    const events = await eventsOf(webhook.id);
    // The same CloudEvent (source + id) sent in both modes is one event: its derived id de-duplicates it.
    const created = events.filter((e) => e.event === 'com.example.object.created');
    expect(created).toHaveLength(1);
    expect(created[0]!.payload).toMatchObject({ cloudevents: { id: 'ce-1' } });
    for (const e of created) {
      expect(e.resource['prefect.resource.id']).toBe('objects/report.csv');
      expect(e.occurred).toBe('2026-03-01T10:00:00.000Z');
      expect(e.payload).toMatchObject({
        data: { size: 42 },
        cloudevents: { source: '/storage/bucket', specversion: '1.0', tenant: 'acme' },
      });
    }
    expect(
      events
        .filter((e) => e.event.startsWith('t.'))
        .map((e) => e.resource['prefect.resource.id'])
        .sort(),
    ).toEqual(['/s/a', '/s/b']);
  });

  it('answers 400 for a template error, non-JSON output and an invalid event, recording a failure event for each', async () => {
    const cases: [string, RequestInit, RegExp][] = [
      [
        '{"event": "x", "resource": {"prefect.resource.id": "{{ body.a.b() }}"}}',
        { method: 'POST', body: '{"a": 1}' },
        /render/,
      ],
      ['not json {{ body }}', { method: 'POST', body: 'hi' }, /did not render JSON/],
      ['{"event": "x", "resource": {}}', {}, /prefect\.resource\.id/],
      ['{"event": "x", "resource": {"prefect.resource.id": "r", "n": 5}}', {}, /resource/],
      ['[1, 2]', {}, /JSON object/],
    ];
    for (const [template, init, reason] of cases) {
      const webhook = await createWebhook(template);
      const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, init);
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).not.toMatch(/node_modules|at .*\.ts:\d+/);
      const [failure] = await failures(webhook.id);
      expect(failure).toBeDefined();
      expect(failure!.payload).toMatchObject({ method: init.method ?? 'GET', status: 400 });
      expect(String(failure!.payload.reason)).toMatch(reason);
    }
  });

  it('records what the template rendered in the failure event', async () => {
    const webhook = await createWebhook('{"event": "x", "resource": {"prefect.resource.id": ""}}');
    expect((await fetch(`${tw.url}/hooks/${webhook.slug}`)).status).toBe(400);
    const [failure] = await failures(webhook.id);
    expect(failure!.payload.rendered).toBe('{"event": "x", "resource": {"prefect.resource.id": ""}}');
  });

  it('answers 404 for unknown and disabled slugs and 405 for other methods', async () => {
    expect((await fetch(`${tw.url}/hooks/${crypto.randomBytes(16).toString('base64url')}`)).status).toBe(404);
    const webhook = await createWebhook(STATIC_TEMPLATE);
    expect((await fetch(`${tw.url}/hooks/${webhook.slug}`, { method: 'OPTIONS' })).status).toBe(405);
    await tw.api('PATCH', `/api/webhooks/${webhook.id}`, { enabled: false });
    expect((await fetch(`${tw.url}/hooks/${webhook.slug}`)).status).toBe(404);
  });

  it('answers 413 for a body over the limit and records a failure event', async () => {
    const webhook = await createWebhook(DYNAMIC_TEMPLATE);
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, { method: 'POST', body: 'x'.repeat(1_048_577) });
    expect(response.status).toBe(413);
    const [failure] = await failures(webhook.id);
    expect(failure!.payload).toMatchObject({ status: 413 });
  });

  it('answers 400 for a template that renders for too long, with a failure event', async () => {
    const webhook = await createWebhook(
      '{% for a in range(100) %}{% for b in range(100) %}{{ body|tojson }}{% endfor %}{% endfor %}',
    );
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      body: JSON.stringify({ x: 'y'.repeat(5000) }),
    });
    expect(response.status).toBe(400);
    expect((await failures(webhook.id)).length).toBe(1);
  });

  describe('signature verification', () => {
    const body = JSON.stringify({ model: 'recommendations', friendly_name: 'Recs' });

    it('accepts GitHub X-Hub-Signature-256 and refuses a wrong one with 401 without rendering', async () => {
      const webhook = await createWebhook(DYNAMIC_TEMPLATE, { verification: { type: 'github', secret: 'gh-secret' } });
      const good = `sha256=${crypto.createHmac('sha256', 'gh-secret').update(body).digest('hex')}`;
      const post = (signature?: string) =>
        fetch(`${tw.url}/hooks/${webhook.slug}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
          body,
        });
      expect((await post(good)).status).toBe(204);
      expect((await post(good.replace(/.$/, '0'))).status).toBe(401);
      expect((await post()).status).toBe(401);
      expect((await eventsOf(webhook.id, 'model.refreshed')).length).toBe(1);
      const refused = await failures(webhook.id);
      expect(refused).toHaveLength(2);
      expect(refused[0]!.payload.rendered).toBeUndefined();
    });

    it('accepts a Stripe-Signature made by the stripe library, and refuses an old timestamp', async () => {
      const webhook = await createWebhook(DYNAMIC_TEMPLATE, {
        verification: { type: 'stripe', secret: 'whsec_stripe' },
      });
      const stripe = new Stripe('sk_test_unused');
      const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_stripe' });
      const post = (signature: string) =>
        fetch(`${tw.url}/hooks/${webhook.slug}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          body,
        });
      expect((await post(header)).status).toBe(204);
      const old = stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: 'whsec_stripe',
        timestamp: Math.floor(Date.now() / 1000) - 600,
      });
      const refused = await post(old);
      expect(refused.status).toBe(401);
      expect((await readJson(refused)).error.message).toMatch(/tolerance/);
    });

    it('accepts Standard Webhooks signatures made by the standardwebhooks library', async () => {
      const webhook = await createWebhook(DYNAMIC_TEMPLATE, { verification: { type: 'standard-webhooks' } });
      const signer = new StandardWebhook(webhook.verification!.secret);
      const id = 'msg_1';
      const now = new Date();
      const signature = signer.sign(id, now, body);
      const post = (headers: Record<string, string>) =>
        fetch(`${tw.url}/hooks/${webhook.slug}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
      expect(
        (
          await post({
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          })
        ).status,
      ).toBe(204);
      expect(
        (
          await post({
            'webhook-id': 'other',
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          })
        ).status,
      ).toBe(401);
    });

    it('accepts a generic HMAC-SHA256 in a named header', async () => {
      const webhook = await createWebhook(DYNAMIC_TEMPLATE, {
        verification: { type: 'hmac', secret: 's', header: 'X-Acme-Signature' },
      });
      const digest = crypto.createHmac('sha256', 's').update(body).digest();
      for (const value of [digest.toString('hex'), digest.toString('base64'), `sha256=${digest.toString('hex')}`]) {
        const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
          method: 'POST',
          headers: { 'x-acme-signature': value },
          body,
        });
        expect(response.status).toBe(204);
      }
      expect(
        (
          await fetch(`${tw.url}/hooks/${webhook.slug}`, {
            method: 'POST',
            headers: { 'x-acme-signature': 'ab' },
            body,
          })
        ).status,
      ).toBe(401);
    });
  });

  it('accepts GitHub example payloads with a template written for them', async () => {
    const examples = githubExamples as unknown as { name: string; examples: Record<string, unknown>[] }[];
    const webhook = await createWebhook(
      '{"event": "github.{{ headers[\'X-GitHub-Event\'] }}{% if body.action %}.{{ body.action }}{% endif %}", "resource": {"prefect.resource.id": "github.repo.{{ body.repository.full_name | default(\'none\') }}"}, "payload": {"sender": "{{ body.sender.login }}"}}',
      { verification: { type: 'github', secret: 'gh' } },
    );
    let sent = 0;
    for (const group of examples.filter((g) => ['push', 'pull_request', 'issues', 'release'].includes(g.name))) {
      for (const example of group.examples.slice(0, 3)) {
        const payload = JSON.stringify(example);
        const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': group.name,
            'x-hub-signature-256': `sha256=${crypto.createHmac('sha256', 'gh').update(payload).digest('hex')}`,
          },
          body: payload,
        });
        expect(response.status).toBe(204);
        sent += 1;
      }
    }
    const events = await eventsOf(webhook.id);
    expect(events).toHaveLength(sent);
    expect(events.every((e) => /^github\.(push|pull_request|issues|release)/.test(e.event))).toBe(true);
    expect(
      events.some(
        (e) =>
          e.resource['prefect.resource.id']!.startsWith('github.repo.') &&
          e.resource['prefect.resource.id'] !== 'github.repo.none',
      ),
    ).toBe(true);
  });
});
