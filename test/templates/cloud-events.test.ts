import { CloudEvent, HTTP, type Message } from 'cloudevents';
import { fromCloudEvent } from '../../templates/cloud-events';
import { caseInsensitiveHeaders } from '../../templates/headers';
import { renderTemplate, TemplateError } from '../../templates/render';

const TEMPLATE = '{{ body|from_cloud_event(headers) }}';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Parses a message's body the way the webhook receiver does (JSON when it parses, else text). */
function received(message: Message): { body: unknown; headers: Record<string, string> } {
  const text = typeof message.body === 'string' ? message.body : '';
  let body: unknown = text;
  try {
    body = text === '' ? '' : (JSON.parse(text) as unknown);
  } catch {
    // not JSON: the body stays text
  }
  const raw: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) raw[name.toUpperCase()] = String(value);
  return { body, headers: caseInsensitiveHeaders(raw) };
}

function render(message: Message): unknown {
  return JSON.parse(renderTemplate(TEMPLATE, received(message))) as unknown;
}

const event = new CloudEvent({
  id: 'evt-1',
  type: 'com.example.order.created',
  source: '/orders/service',
  subject: 'order-42',
  time: '2024-05-01T10:20:30.000Z',
  datacontenttype: 'application/json',
  dataschema: 'https://example.com/order.schema.json',
  data: { order: 42, items: ['a', 'b'] },
  tenant: 'acme',
});

describe('from_cloud_event with the official SDK', () => {
  it('maps a binary-mode event (ce-* headers, data in the body)', () => {
    expect(render(HTTP.binary(event))).toEqual({
      id: expect.stringMatching(UUID),
      event: 'com.example.order.created',
      occurred: '2024-05-01T10:20:30.000Z',
      resource: { 'prefect.resource.id': 'order-42' },
      payload: {
        data: { order: 42, items: ['a', 'b'] },
        cloudevents: {
          id: 'evt-1',
          source: '/orders/service',
          specversion: '1.0',
          subject: 'order-42',
          datacontenttype: 'application/json',
          dataschema: 'https://example.com/order.schema.json',
          tenant: 'acme',
        },
      },
    });
  });

  it('maps a structured-mode event (the body is the event)', () => {
    expect(render(HTTP.structured(event))).toEqual(render(HTTP.binary(event)));
  });

  it('uses the source as the resource id when there is no subject, and omits occurred without a time', () => {
    const plain = new CloudEvent({
      id: 'e2',
      type: 't',
      source: 'urn:src',
      data: 'hello',
      datacontenttype: 'text/plain',
    });
    const { time: _time, ...withoutTime } = plain.toJSON();
    const message = { headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(withoutTime) };
    expect(render(message)).toEqual({
      id: expect.stringMatching(UUID),
      event: 't',
      resource: { 'prefect.resource.id': 'urn:src' },
      payload: {
        data: 'hello',
        cloudevents: { id: 'e2', source: 'urn:src', specversion: '1.0', datacontenttype: 'text/plain' },
      },
    });
  });

  it('keeps text data in binary mode and percent-decodes header values', () => {
    const text = new CloudEvent({
      id: 'e3',
      type: 't',
      source: 's',
      data: 'plain text',
      datacontenttype: 'text/plain',
    });
    const message = HTTP.binary(text);
    message.headers['ce-subject'] = 'caf%C3%A9%20menu';
    const out = render(message) as { resource: Record<string, string>; payload: { data: unknown } };
    expect(out.resource['prefect.resource.id']).toBe('café menu');
    expect(out.payload.data).toBe('plain text');
  });

  it('maps a batch to a JSON array of events', () => {
    const second = event.cloneWith({ id: 'evt-2', subject: undefined });
    const message = {
      headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' },
      body: JSON.stringify([event.toJSON(), second.toJSON()]),
    };
    const out = render(message) as {
      id: string;
      resource: Record<string, string>;
      payload: { cloudevents: { id: string } };
    }[];
    expect(out.map((e) => e.payload.cloudevents.id)).toEqual(['evt-1', 'evt-2']);
    expect(new Set(out.map((e) => e.id)).size).toBe(2);
    expect(out[1]!.resource['prefect.resource.id']).toBe('/orders/service');
  });

  it('keeps a UUID id, and derives the same UUID for the same source and id otherwise, so redeliveries dedupe', () => {
    const uuid = '0190b9c4-1d2e-7f00-8a3b-3c4d5e6f7a8b';
    expect(render(HTTP.binary(event.cloneWith({ id: uuid })))).toMatchObject({ id: uuid });
    expect(
      (render(HTTP.binary(event.cloneWith({ id: uuid }))) as { payload: { cloudevents: object } }).payload.cloudevents,
    ).not.toHaveProperty('id');
    const id = (e: CloudEvent<unknown>) => (render(HTTP.binary(e)) as { id: string }).id;
    expect(id(event)).toBe(id(event.cloneWith({ data: { other: true } })));
    expect(id(event)).not.toBe(id(event.cloneWith({ source: '/other/service' })));
  });

  it('renders output the webhook can parse straight into an event', () => {
    const { body, headers } = received(HTTP.binary(event));
    expect(() => JSON.parse(renderTemplate(TEMPLATE, { body, headers }))).not.toThrow();
  });
});

describe('from_cloud_event refusals', () => {
  function refusal(body: unknown, headers: Record<string, string>): string {
    try {
      fromCloudEvent(body, caseInsensitiveHeaders(headers));
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateError);
      return (error as TemplateError).message;
    }
    throw new Error('expected a refusal');
  }

  it('refuses spec versions other than 1.0', () => {
    expect(refusal({}, { 'ce-specversion': '0.3', 'ce-id': 'x', 'ce-type': 't', 'ce-source': 's' })).toContain(
      "unsupported CloudEvents spec version '0.3'",
    );
    const structured = { specversion: '0.3', id: 'x', type: 't', source: 's' };
    expect(refusal(structured, { 'content-type': 'application/cloudevents+json' })).toContain("version '0.3'");
  });

  it('refuses events missing required attributes', () => {
    expect(
      refusal({ specversion: '1.0', id: 'x', source: 's' }, { 'content-type': 'application/cloudevents+json' }),
    ).toContain("no 'type' attribute");
  });

  it('refuses requests that are not CloudEvents', () => {
    expect(refusal({ hello: 'world' }, { 'content-type': 'application/json' })).toContain('not a CloudEvent');
    expect(refusal({}, { 'content-type': 'application/cloudevents-batch+json' })).toContain('JSON array');
    expect(refusal([{}], { 'content-type': 'application/cloudevents-batch+json' })).toContain('at index 0');
  });

  it('surfaces a refusal as a render error of the template', () => {
    expect(() => renderTemplate(TEMPLATE, { body: {}, headers: caseInsensitiveHeaders({}) })).toThrow(TemplateError);
  });
});
