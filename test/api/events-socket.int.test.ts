// WebSocket /api/events/in, spoken as Prefect's self-hosted events client speaks it (prefect/events/clients.py:
// subprotocol "prefect", an auth message, one event per message, pings as delivery checkpoints).
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { type OpenedSocket, openSocket } from '../helpers/sockets';
import { startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const event = (resource: string) => ({
  id: crypto.randomUUID(),
  occurred: new Date().toISOString(),
  event: 'prefect.flow-run.Completed',
  resource: { 'prefect.resource.id': resource },
  payload: { intended: { from: 'RUNNING', to: 'COMPLETED' } },
});

type Opened = OpenedSocket;
const open = (url: string, headers: Record<string, string> = {}) => openSocket(url, '/api/events/in', headers);

async function reply(opened: Opened): Promise<unknown> {
  const deadline = Date.now() + 5000;
  while (opened.messages.length === 0) {
    if (Date.now() > deadline) throw new Error('no reply');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return opened.messages.shift();
}

/** Sends a ping and resolves on its pong: the client's proof that everything sent before it was received. */
const checkpoint = (ws: WebSocket) =>
  new Promise<void>((resolve) => {
    ws.once('pong', () => resolve());
    ws.ping();
  });

describe('WebSocket /api/events/in (Prefect events client)', () => {
  let tw: TestTripwire;
  beforeAll(async () => {
    tw = await startTestTripwire({ worker: false });
  });
  afterAll(() => tw.stop());

  const stored = async (id: string) => (await tw.api('GET', `/api/events/${id}`)).status === 200;

  it('authenticates with the auth message (the key, or a Basic auth string) and stores the events that follow', async () => {
    for (const token of [tw.apiKey, `anyone:${tw.apiKey}`]) {
      const opened = await open(tw.url);
      opened.ws.send(JSON.stringify({ type: 'auth', token }));
      expect(await reply(opened)).toEqual({ type: 'auth_success' });
      const sent = [event('socket.a'), event('socket.b'), event('socket.c')];
      for (const e of sent) opened.ws.send(JSON.stringify(e));
      await checkpoint(opened.ws);
      for (const e of sent) expect(await stored(e.id)).toBe(true);
      opened.ws.close();
    }
  });

  it('refuses a wrong key with auth_failure and closes with 1008, storing nothing', async () => {
    const opened = await open(tw.url);
    opened.ws.send(JSON.stringify({ type: 'auth', token: 'not-the-key' }));
    expect(await reply(opened)).toMatchObject({ type: 'auth_failure' });
    expect((await opened.closed).code).toBe(1008);

    const silent = await open(tw.url);
    const e = event('socket.unauthenticated');
    silent.ws.send(JSON.stringify(e));
    expect(await silent.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/authenticate first/) });
    expect(await stored(e.id)).toBe(false);
  });

  it('takes the key from the upgrade request instead, and refuses a wrong one before upgrading', async () => {
    const opened = await open(tw.url, { authorization: `Bearer ${tw.apiKey}` });
    const e = event('socket.header');
    opened.ws.send(JSON.stringify(e));
    await checkpoint(opened.ws);
    expect(await stored(e.id)).toBe(true);
    opened.ws.close();

    await expect(open(tw.url, { authorization: 'Bearer wrong' })).rejects.toThrow(/401/);
  });

  it('drops an invalid event or a non-JSON message and keeps the stream open for the next', async () => {
    const opened = await open(tw.url, { authorization: `Bearer ${tw.apiKey}` });
    opened.ws.send(JSON.stringify({ event: 'no.resource' }));
    opened.ws.send('not json');
    const e = event('socket.after-bad');
    opened.ws.send(JSON.stringify(e));
    await checkpoint(opened.ws);
    expect(await stored(e.id)).toBe(true);
    expect(opened.ws.readyState).toBe(WebSocket.OPEN);
    opened.ws.close();
  });

  it('closes open streams with 1001 when tripwire stops, so the client reconnects elsewhere', async () => {
    const own = await startTestTripwire({ worker: false });
    const opened = await open(own.url, { authorization: `Bearer ${own.apiKey}` });
    const stopped = Date.now();
    await own.stop();
    expect(await opened.closed).toMatchObject({ code: 1001 });
    expect(Date.now() - stopped).toBeLessThan(1500); // not cut by the 2 s fallback of an idle HTTP close
  });

  it('answers 404 to a WebSocket on any other path', async () => {
    const ws = new WebSocket(`${tw.url.replace(/^http/, 'ws')}/api/events/sideways`);
    await expect(
      new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
    ).rejects.toThrow(/404/);
  });

  it('accepts HTTP Basic with the key as password on the REST API too (PREFECT_API_AUTH_STRING)', async () => {
    const basic = (secret: string) => `Basic ${Buffer.from(`prefect:${secret}`).toString('base64')}`;
    const ok = await fetch(`${tw.url}/api/automations`, { headers: { authorization: basic(tw.apiKey) } });
    expect(ok.status).toBe(200);
    const wrong = await fetch(`${tw.url}/api/automations`, { headers: { authorization: basic('nope') } });
    expect(wrong.status).toBe(401);
  });
});
