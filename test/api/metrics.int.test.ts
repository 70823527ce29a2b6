// GET /metrics on a real tripwire: webhook requests of every outcome, events, a deployment's event trigger running
// flows to completion, and what /metrics counts of them (as deltas, so the file's earlier requests do not matter).
import crypto from 'node:crypto';
import path from 'node:path';
import type { PoolWorker } from '../../worker/pool-worker';
import { serveMetrics } from '../../services/metrics/server';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

const FLOWS = path.resolve(__dirname, '..', 'fixtures', 'flows', 'test-flows.ts');
const METRICS_KEY = `metrics-${crypto.randomBytes(6).toString('hex')}`;

/** Parses Prometheus text into `name{labels}` → value (labels as written, in the order written). */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('GET /metrics', () => {
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;

  beforeAll(async () => {
    tw = await startTestTripwire({ env: { TRIPWIRE_METRICS_KEY: METRICS_KEY } });
    ({ pool, name: poolName } = await startTestPool(tw));
  });
  afterAll(async () => {
    await pool.stop();
    await tw.stop();
  });

  const scrape = async (key = METRICS_KEY) => {
    const response = await fetch(`${tw.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    return { text, samples: parse(text) };
  };

  it('needs the API key or the metrics key, and the metrics key opens nothing else', async () => {
    const anonymous = await fetch(`${tw.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${tw.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    await scrape(tw.apiKey);
    await scrape(METRICS_KEY);
    const api = await fetch(`${tw.url}/api/webhooks`, { headers: { authorization: `Bearer ${METRICS_KEY}` } });
    expect(api.status).toBe(401);
  });

  it('counts webhook outcomes, requests by route pattern, events, firings, actions and flow runs', async () => {
    const resource = `metrics.resource.${crypto.randomBytes(3).toString('hex')}`;
    const deployment = await (
      await tw.api('POST', '/api/deployments', {
        name: 'metrics-echo',
        entrypoint: `${FLOWS}:echoFlow`,
        work_pool: { name: poolName },
        triggers: [{ type: 'event', match: { 'prefect.resource.id': resource }, expect: ['metrics.pinged'] }],
      })
    ).json();
    expect(deployment.automations).toHaveLength(1);
    const webhook = async (template: string, extra: Record<string, unknown> = {}) => {
      const response = await tw.api('POST', '/api/webhooks', {
        name: `w-${crypto.randomBytes(3).toString('hex')}`,
        template,
        ...extra,
      });
      expect(response.status).toBe(201);
      return (await response.json()) as { slug: string; id: string };
    };
    const pinged = await webhook(`{"event": "metrics.pinged", "resource": {"prefect.resource.id": "${resource}"}}`);
    const broken = await webhook('{"event": "x", "resource": {"prefect.resource.id": "{{ body.a.b() }}"}}');
    const invalid = await webhook('{"event": "x", "resource": {}}');
    const signed = await webhook(`{"event": "x", "resource": {"prefect.resource.id": "r"}}`, {
      verification: { type: 'github', secret: 'gh' },
    });

    const before = (await scrape()).samples;
    const post = (slug: string, headers: Record<string, string> = {}) =>
      fetch(`${tw.url}/hooks/${slug}`, { method: 'POST', body: '{"a": 1}', headers });
    for (let i = 0; i < 3; i += 1) expect((await post(pinged.slug)).status).toBe(204);
    expect((await post(broken.slug)).status).toBe(400);
    expect((await post(invalid.slug)).status).toBe(400);
    expect((await post(signed.slug, { 'x-hub-signature-256': 'sha256=00' })).status).toBe(401);
    expect((await post('no-such-slug')).status).toBe(404);
    await eventually(
      async () => {
        const runs = (await (await tw.api('GET', '/api/flow-runs?deployment=metrics-echo')).json()) as {
          state: { type: string };
        }[];
        return runs.length === 3 && runs.every((run) => run.state.type === 'COMPLETED') ? runs : undefined;
      },
      60_000,
      'three completed flow runs',
    );

    // A run shows Completed before its `prefect.flow-run.Completed` event is stored, and an action's outcome may be
    // counted after its run completed: wait for those too. Each run stores 7 events of tripwire's own (triggered,
    // action triggered and executed, and 4 states), besides the 3 accepted and 3 failure events.
    const expectedEvents = 6 + 3 * 7;
    const { text, samples } = await eventually(async () => {
      const scraped = await scrape();
      const grown = (sample: string) => (scraped.samples.get(sample) ?? 0) - (before.get(sample) ?? 0);
      const executed = grown('tripwire_actions_total{action_type="run-deployment",status="executed"}');
      return executed >= 3 && grown('tripwire_events_stored_total') >= expectedEvents ? scraped : undefined;
    });
    const delta = (sample: string) => (samples.get(sample) ?? 0) - (before.get(sample) ?? 0);

    expect(delta('tripwire_webhook_requests_total{outcome="accepted"}')).toBe(3);
    expect(delta('tripwire_webhook_requests_total{outcome="template_error"}')).toBe(1);
    expect(delta('tripwire_webhook_requests_total{outcome="invalid_event"}')).toBe(1);
    expect(delta('tripwire_webhook_requests_total{outcome="signature_refused"}')).toBe(1);
    expect(delta('tripwire_webhook_requests_total{outcome="not_found"}')).toBe(1);
    expect(delta('tripwire_http_requests_total{method="POST",route="/hooks/:slug",status="204"}')).toBe(3);
    expect(delta('tripwire_http_requests_total{method="POST",route="/hooks/:slug",status="400"}')).toBe(2);
    expect(delta('tripwire_http_requests_total{method="POST",route="/hooks/:slug",status="401"}')).toBe(1);
    expect(delta('tripwire_http_requests_total{method="POST",route="/hooks/:slug",status="404"}')).toBe(1);
    expect(delta('tripwire_http_request_duration_seconds_count{method="POST",route="/hooks/:slug"}')).toBe(7);
    expect(
      samples.get('tripwire_http_requests_total{method="GET",route="/api/flow-runs",status="200"}'),
    ).toBeGreaterThan(0);
    // No path reaches a label: a slug is a webhook's secret.
    for (const slug of [pinged.slug, broken.slug, invalid.slug, signed.slug, 'no-such-slug']) {
      expect(text).not.toContain(slug);
    }

    expect(delta('tripwire_events_stored_total')).toBe(expectedEvents);
    expect(delta('tripwire_events_routed_total')).toBeGreaterThanOrEqual(3);
    expect(delta('tripwire_router_deliveries_total{result="delivered"}')).toBeGreaterThanOrEqual(1);
    expect(delta('tripwire_router_delivery_latency_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(delta('tripwire_automation_firings_total{trigger_type="event",state="triggered"}')).toBe(3);
    expect(delta('tripwire_actions_total{action_type="run-deployment",status="executed"}')).toBe(3);
    expect(delta('tripwire_action_duration_seconds_count{action_type="run-deployment"}')).toBe(3);
    for (const state of ['SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED']) {
      expect(delta(`tripwire_flow_run_transitions_total{state="${state}"}`)).toBe(3);
    }

    // Read from the database at the scrape.
    expect(samples.get('tripwire_outbox_events')).toBeGreaterThanOrEqual(0);
    expect(samples.get('tripwire_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(samples.get('tripwire_flow_runs{state="RUNNING"}')).toBe(0);
    // The process's own: Node.js, and the Temporal SDK worker's runtime metrics.
    expect(samples.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    const queue = tw.services.config.temporal.taskQueue;
    expect(
      samples.get(`temporal_num_pollers{namespace="default",task_queue="${queue}",poller_type="activity_task"}`),
    ).toBeGreaterThan(0);
    const runFirings = `namespace="default",task_queue="${queue}",workflow_type="automationWorkflow",activity_type="runFirings"`;
    expect(delta(`temporal_activity_execution_latency_count{${runFirings}}`)).toBeGreaterThanOrEqual(1);
  });

  it('reads the outbox depth and age and the active flow runs from the database at each scrape', async () => {
    const resource = `metrics.held.${crypto.randomBytes(3).toString('hex')}`;
    const created = await tw.api('POST', '/api/automations', {
      name: 'metrics-held',
      trigger: { type: 'event', match: { 'prefect.resource.id': resource }, expect: ['metrics.held'], threshold: 1 },
      actions: [{ type: 'do-nothing' }],
    });
    expect(created.status).toBe(201);
    await tw.services.router.stop();
    try {
      const before = (await scrape()).samples.get('tripwire_outbox_events') ?? 0;
      for (let i = 0; i < 4; i += 1) {
        const response = await tw.api('POST', '/api/events', {
          event: 'metrics.held',
          resource: { 'prefect.resource.id': resource },
        });
        expect(response.status).toBe(204);
      }
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const { samples } = await scrape();
      expect(samples.get('tripwire_outbox_events')).toBe(before + 4);
      expect(samples.get('tripwire_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(1);
    } finally {
      tw.services.router.start();
    }
    await eventually(async () => ((await scrape()).samples.get('tripwire_outbox_events') === 0 ? true : undefined));
    expect((await scrape()).samples.get('tripwire_outbox_oldest_age_seconds')).toBe(0);

    const later = await tw.api('POST', '/api/deployments/metrics-echo/runs', { schedule_after: 3600 });
    expect(later.status).toBe(201);
    const run = (await later.json()) as { id: string };
    try {
      expect((await scrape()).samples.get('tripwire_flow_runs{state="SCHEDULED"}')).toBe(1);
    } finally {
      await tw.api('POST', `/api/flow-runs/${run.id}/cancel`);
    }
    expect((await scrape()).samples.get('tripwire_flow_runs{state="SCHEDULED"}')).toBe(0);
  });

  it("serves the worker process's /metrics on a port of its own, behind the same keys", async () => {
    const server = await serveMetrics(tw.services.metrics, '127.0.0.1', 0, { keys: [METRICS_KEY], public: false });
    try {
      expect((await fetch(server.url)).status).toBe(401);
      const response = await fetch(server.url, { headers: { authorization: `Bearer ${METRICS_KEY}` } });
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/^tripwire_actions_total\{/m);
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await server.close();
    }
    const open = await serveMetrics(tw.services.metrics, '127.0.0.1', 0, { keys: [], public: true });
    try {
      expect((await fetch(open.url)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
