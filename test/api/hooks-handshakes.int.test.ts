// Subscription handshakes at /hooks/:slug, with the request bodies the senders document: Azure Event Grid's
// SubscriptionValidationEvent, the CloudEvents webhook OPTIONS handshake, and Slack's url_verification. A webhook
// answers only the handshakes it lists; the rest get the ordinary treatment (an event, a failure, or a 405).
import { DIALECTS } from '../helpers/db';
import { readJson, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const TEMPLATE = '{"event": "sender.{{ method | lower }}", "resource": {"prefect.resource.id": "sender"}}';

// https://learn.microsoft.com/azure/event-grid/webhook-event-delivery (validation details)
const EVENT_GRID_VALIDATION = [
  {
    id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
    topic: '/subscriptions/xx-xx-xx/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s',
    subject: '',
    data: {
      validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
      validationUrl: 'https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/myeventsub/validate?id=0000',
    },
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: '2018-01-25T22:12:19.4556811Z',
    metadataVersion: '1',
    dataVersion: '1',
  },
];

// https://api.slack.com/events/url_verification
const SLACK_CHALLENGE = {
  token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
  challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
  type: 'url_verification',
};

describe.each(DIALECTS)('webhook handshakes on %s', (dialect) => {
  let tw: TestTripwire;
  beforeAll(async () => {
    tw = await startTestTripwire({ dialect, worker: false });
  });
  afterAll(() => tw.stop());

  const create = async (handshakes: string[]) => {
    const response = await tw.api('POST', '/api/webhooks', { name: 'h', template: TEMPLATE, handshakes });
    expect(response.status).toBe(201);
    return readJson(response);
  };
  const events = async () =>
    (await readJson(await tw.api('GET', '/api/events?event=sender.*&limit=500'))).events as unknown[];

  it('answers Event Grid subscription validation with the validation code, storing no event', async () => {
    const webhook = await create(['event-grid']);
    expect(webhook.handshakes).toEqual(['event-grid']);
    const before = (await events()).length;
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
      body: JSON.stringify(EVENT_GRID_VALIDATION),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect((await events()).length).toBe(before);

    // Ordinary deliveries (aeg-event-type: Notification) still become events.
    const delivery = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify([{ ...EVENT_GRID_VALIDATION[0], eventType: 'Microsoft.Storage.BlobCreated', data: {} }]),
    });
    expect(delivery.status).toBe(204);
    expect((await events()).length).toBe(before + 1);
  });

  it('answers the CloudEvents webhook OPTIONS handshake with the allowed origin', async () => {
    const webhook = await create(['cloudevents']);
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventemitter.example.com', 'WebHook-Request-Rate': '120' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('webhook-allowed-origin')).toBe('eventemitter.example.com');
    expect(response.headers.get('webhook-allowed-rate')).toBe('*');
  });

  it("answers Slack's url_verification challenge", async () => {
    const webhook = await create(['slack']);
    const response = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(SLACK_CHALLENGE),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: SLACK_CHALLENGE.challenge });
  });

  it('treats handshakes as ordinary requests for webhooks that do not list them', async () => {
    const webhook = await create([]);
    expect(webhook.handshakes).toEqual([]);
    const options = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventemitter.example.com' },
    });
    expect(options.status).toBe(405);
    expect(options.headers.get('webhook-allowed-origin')).toBeNull();
    const slack = await fetch(`${tw.url}/hooks/${webhook.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(SLACK_CHALLENGE),
    });
    expect(slack.status).toBe(204);
  });

  it('keeps the list through PATCH and refuses unknown handshakes', async () => {
    const webhook = await create(['slack']);
    const patched = await readJson(
      await tw.api('PATCH', `/api/webhooks/${webhook.id}`, { handshakes: ['event-grid', 'cloudevents'] }),
    );
    expect(patched.handshakes).toEqual(['event-grid', 'cloudevents']);
    expect((await readJson(await tw.api('GET', `/api/webhooks/${webhook.id}`))).handshakes).toEqual([
      'event-grid',
      'cloudevents',
    ]);
    expect((await tw.api('PATCH', `/api/webhooks/${webhook.id}`, { handshakes: ['teams'] })).status).toBe(422);
  });
});
