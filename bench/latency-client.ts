// The sender and the receiver of the latency benchmark, in a process of their own as they would be in production:
// it posts events to tripwire at a steady rate, receives the call-webhook actions they fire, and reports each
// event's delay from its 204 to its action's arrival. Driven over IPC by bench/triggers.ts.
import crypto from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LatencyRun {
  apiUrl: string;
  apiKey: string;
  rate: number;
  seconds: number;
  /** Resource ids of the events, taken in turn (one per automation). */
  resources: string[];
  /** How long to wait for the last arrival after the last event was sent (default two minutes). */
  waitMs?: number;
}

/** One event: when its POST was answered and when its action (or flow) reached the sink, in epoch milliseconds. */
export interface LatencySample {
  id: string;
  accepted: number;
  arrived: number;
}

export type LatencyMessage =
  | { type: 'sink'; url: string }
  | { type: 'done'; delays: number[]; samples: LatencySample[]; duplicates: number }
  | { type: 'failed'; error: string };

const send = (message: LatencyMessage) => process.send?.(message);

// node:http with kept-alive connections rather than fetch: this process shares the machine's CPUs with tripwire,
// and undici's per-request cost took a quarter of a CPU at 100 requests/s.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url: string, apiKey: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function main(): Promise<void> {
  const arrived = new Map<string, number>();
  let duplicates = 0;
  const sink = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const id = body.trim();
      // A second arrival is a duplicate run or action; the first one's time is the one measured.
      if (arrived.has(id)) duplicates += 1;
      else arrived.set(id, performance.now());
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  send({ type: 'sink', url: `http://127.0.0.1:${(sink.address() as { port: number }).port}/` });
  // Runs come one after another (the baseline first) against the same sink and automations.
  for (;;) {
    const run = await new Promise<LatencyRun>((resolve) => process.once('message', (m) => resolve(m as LatencyRun)));
    const before = duplicates;
    const accepted = await measure(run, arrived);
    // Late duplicates (a retried action) would arrive after the last first arrival: give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const epoch = (at: number) => performance.timeOrigin + at;
    const samples = [...accepted].map(([id, at]) => ({ id, accepted: epoch(at), arrived: epoch(arrived.get(id)!) }));
    send({
      type: 'done',
      delays: samples.map((s) => s.arrived - s.accepted),
      samples,
      duplicates: duplicates - before,
    });
  }
}

/** Sends `run.rate` events/s for `run.seconds`; returns when each was accepted, once each one's action arrived. */
async function measure(run: LatencyRun, arrived: Map<string, number>): Promise<Map<string, number>> {
  const accepted = new Map<string, number>();
  const total = run.rate * run.seconds;
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const wait = started + (i * 1000) / run.rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = crypto.randomUUID();
    const resource = run.resources[i % run.resources.length]!;
    const event = { id, event: 'bench.ping', resource: { 'prefect.resource.id': resource } };
    sends.push(
      post(`${run.apiUrl}/api/events`, run.apiKey, JSON.stringify(event)).then(({ status, text }) => {
        if (status !== 204) throw new Error(`POST /api/events: ${status} ${text}`);
        accepted.set(id, performance.now());
      }),
    );
  }
  await Promise.all(sends);
  const deadline = Date.now() + (run.waitMs ?? 120_000);
  const missing = () => [...accepted.keys()].filter((id) => !arrived.has(id)).length;
  while (missing() > 0) {
    if (Date.now() > deadline) throw new Error(`only ${total - missing()} of ${total} actions arrived`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return accepted;
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: String(error) });
  process.exitCode = 1;
});
