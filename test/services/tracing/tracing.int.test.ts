// One trace per webhook request, end to end on a real tripwire (SQLite, the shared Temporal dev server, a pool worker
// running the flow): the request's span is the root of the spans of the ingest, the router's delivery, the automation
// workflow's signal handler, the firing's activity, the run-deployment action, the flow run's workflow and the flow's.
import crypto from 'node:crypto';
import path from 'node:path';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Worker } from '@temporalio/worker';
import { tracingWorkerOptions } from '../../../worker/tracing';
import type { PoolWorker } from '../../../worker/pool-worker';
import { eventually, startTestPool, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const FLOWS = path.resolve(__dirname, '..', '..', 'fixtures', 'flows', 'test-flows.ts');

/** The spans of one trace as an indented tree: name, then span id and parent id. */
function dump(spans: ReadableSpan[]): string {
  const children = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const level = (children.get(parent) ?? []).sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    for (const span of level) {
      const { spanId } = span.spanContext();
      lines.push(`${'  '.repeat(depth)}${span.name}  [span ${spanId} parent ${span.parentSpanId ?? '-'}]`);
      walk(spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

describe('tracing (OTEL_TRACES_EXPORTER set)', () => {
  const exporter = new InMemorySpanExporter();
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;

  beforeAll(async () => {
    tw = await startTestTripwire({ env: { OTEL_TRACES_EXPORTER: 'otlp' }, services: { tracing: { exporter } } });
    ({ pool, name: poolName } = await startTestPool(tw));
  });
  afterAll(async () => {
    await pool.stop();
    await tw.stop();
  });

  it('follows a webhook request to the flow run it starts, in one trace', async () => {
    const resource = `traced.resource.${crypto.randomBytes(3).toString('hex')}`;
    const deployment = await tw.api('POST', '/api/deployments', {
      name: 'traced-echo',
      entrypoint: `${FLOWS}:echoFlow`,
      work_pool: { name: poolName },
      triggers: [{ type: 'event', match: { 'prefect.resource.id': resource }, expect: ['traced.pinged'] }],
    });
    expect(deployment.status).toBe(201);
    const webhook = await (
      await tw.api('POST', '/api/webhooks', {
        name: 'traced',
        template: `{"event": "traced.pinged", "resource": {"prefect.resource.id": "${resource}"}}`,
      })
    ).json();
    exporter.reset();

    expect((await fetch(`${tw.url}/hooks/${webhook.slug}`, { method: 'POST', body: '{}' })).status).toBe(204);
    const root = exporter.getFinishedSpans().find((span) => span.name === 'POST /hooks/:slug');
    expect(root).toBeDefined();
    expect(root!.parentSpanId).toBeUndefined();
    expect(root!.attributes).toMatchObject({ 'http.route': '/hooks/:slug', 'http.response.status_code': 204 });
    expect(JSON.stringify(root!.attributes)).not.toContain(webhook.slug);
    const traceId = root!.spanContext().traceId;
    const trace = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);

    // The flow run's workflow span ends when the run completes, after its flow's.
    const spans = await eventually(
      async () => (trace().some((span) => span.name === 'RunWorkflow:flowRunWorkflowV2') ? trace() : undefined),
      60_000,
      "the flow run's workflow span",
    );
    process.stdout.write(`trace ${traceId}\n${dump(spans)}\n`);

    // From the flow's workflow (on the pool's worker) up to the request, each span is the child of the next.
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const chain: string[] = [];
    for (
      let span = spans.find((s) => s.name === 'RunWorkflow:echoFlow');
      span;
      span = span.parentSpanId ? byId.get(span.parentSpanId) : undefined
    ) {
      chain.unshift(span.name);
    }
    expect(chain).toEqual([
      'POST /hooks/:slug',
      'tripwire.ingest',
      'tripwire.route',
      'SignalWorkflow:events',
      'HandleSignal:events',
      'StartActivity:runFirings',
      'RunActivity:runFirings',
      'tripwire.action run-deployment',
      'StartWorkflow:flowRunWorkflowV2',
      'RunWorkflow:flowRunWorkflowV2',
      'StartChildWorkflow:echoFlow',
      'RunWorkflow:echoFlow',
    ]);
  });

  it('keeps the trace out of the stored event, which stays Prefect JSON', async () => {
    const resource = `traced.stored.${crypto.randomBytes(3).toString('hex')}`;
    await automationOn(resource);
    const id = crypto.randomUUID();
    expect(
      (
        await tw.api('POST', '/api/events', {
          id,
          event: 'traced.stored',
          resource: { 'prefect.resource.id': resource },
        })
      ).status,
    ).toBe(204);
    const stored = await (await tw.api('GET', `/api/events/${id}`)).json();
    expect(Object.keys(stored).sort()).toEqual([
      'event',
      'follows',
      'id',
      'occurred',
      'payload',
      'received',
      'related',
      'resource',
    ]);
    expect(JSON.stringify(stored)).not.toMatch(/traceparent|00-[0-9a-f]{32}-/);
  });

  it("continues an API caller's traceparent, but never a webhook sender's", async () => {
    const traceId = crypto.randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${crypto.randomBytes(8).toString('hex')}-01`;
    exporter.reset();
    const event = { event: 'traced.parent', resource: { 'prefect.resource.id': 'traced.parent' } };
    expect((await tw.api('POST', '/api/events', event, { traceparent })).status).toBe(204);
    const webhook = await (
      await tw.api('POST', '/api/webhooks', { name: 'traced-parent', template: JSON.stringify(event) })
    ).json();
    expect((await fetch(`${tw.url}/hooks/${webhook.slug}`, { headers: { traceparent } })).status).toBe(204);
    const spans = exporter.getFinishedSpans();
    const api = spans.find((span) => span.name === 'POST /api/events');
    const hook = spans.find((span) => span.name === 'GET /hooks/:slug');
    expect(api?.spanContext().traceId).toBe(traceId);
    expect(hook?.spanContext().traceId).not.toBe(traceId);
    expect(hook?.parentSpanId).toBeUndefined();
  });

  it("delivers events of several requests in one signal whose span continues the first request's trace and links the others", async () => {
    const resource = `traced.batch.${crypto.randomBytes(3).toString('hex')}`;
    const automation = await automationOn(resource);
    await tw.services.router.stop();
    exporter.reset();
    try {
      for (let i = 0; i < 3; i += 1) {
        const response = await tw.api('POST', '/api/events', {
          event: 'traced.batch',
          resource: { 'prefect.resource.id': resource },
        });
        expect(response.status).toBe(204);
      }
    } finally {
      tw.services.router.start();
    }
    const requests = await eventually(async () => {
      const found = exporter.getFinishedSpans().filter((span) => span.name === 'POST /api/events');
      return found.length === 3 ? found : undefined;
    });
    const route = await eventually(async () =>
      exporter
        .getFinishedSpans()
        .find((span) => span.name === 'tripwire.route' && span.attributes['tripwire.automation.id'] === automation),
    );
    expect(route.attributes['tripwire.events']).toBe(3);
    const traces = requests.map((span) => span.spanContext().traceId);
    expect(traces).toContain(route.spanContext().traceId);
    expect(route.links.map((link) => link.context.traceId).sort()).toEqual(
      traces.filter((id) => id !== route.spanContext().traceId).sort(),
    );
  });

  it('replays a traced history without tracing and an untraced one with it: turning tracing on or off is safe', async () => {
    const plain = await startTestTripwire();
    try {
      const histories = [];
      for (const tripwire of [tw, plain]) {
        const resource = `traced.replay.${crypto.randomBytes(3).toString('hex')}`;
        const id = await automationOn(resource, tripwire);
        for (let i = 0; i < 2; i += 1) {
          const event = { event: 'traced.replay', resource: { 'prefect.resource.id': resource } };
          expect((await tripwire.api('POST', '/api/events', event)).status).toBe(204);
        }
        const workflowId = (await (await tripwire.api('GET', `/api/automations/${id}`)).json()).workflow_id as string;
        const handle = tripwire.services.temporal.client.workflow.getHandle(workflowId);
        await eventually(async () => {
          const feed = await tripwire.api(
            'GET',
            `/api/events?event=prefect.automation.action.executed&resource=prefect.automation.${id}`,
          );
          return (await feed.json()).events.length === 2 ? true : undefined;
        });
        histories.push(await handle.fetchHistory());
      }
      const workflowsPath = require.resolve('../../../workflows');
      const [traced, untraced] = histories;
      await Worker.runReplayHistory({ workflowsPath }, traced!);
      const { interceptors, sinks } = tracingWorkerOptions(tw.services.tracing!);
      await Worker.runReplayHistory({ workflowsPath, interceptors, sinks }, untraced!);
      await Worker.runReplayHistory({ workflowsPath, interceptors, sinks }, traced!);
    } finally {
      await plain.stop();
    }
  });

  /** Creates an automation on events of `resource` that does nothing; returns its id. */
  async function automationOn(resource: string, tripwire = tw): Promise<string> {
    const response = await tripwire.api('POST', '/api/automations', {
      name: `traced-${resource}`,
      trigger: { type: 'event', match: { 'prefect.resource.id': resource }, expect: ['*'], threshold: 1 },
      actions: [{ type: 'do-nothing' }],
    });
    expect(response.status).toBe(201);
    return (await response.json()).id;
  }
});
