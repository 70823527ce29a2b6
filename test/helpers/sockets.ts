// A WebSocket to one of tripwire's Prefect event streams, with what it received and how it closed.
import WebSocket from 'ws';

export interface OpenedSocket<M = unknown> {
  ws: WebSocket;
  /** Every JSON message received, in order. */
  messages: M[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `path` on `url` with Prefect's subprotocol; resolves once open. */
export async function openSocket<M = unknown>(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<OpenedSocket<M>> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${path}`, 'prefect', { headers });
  const messages: M[] = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as M));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages, closed };
}
