// The tracing module on its own: spans, the traceparent that crosses the outbox, batch links, sampling, and what it
// says when the collector cannot be reached.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig, type TracingConfig } from '../../../services/config/env';
import { createLogger } from '../../../services/logging/logger';
import { startTracing } from '../../../services/tracing/tracing';

const lines: string[] = [];
const logger = createLogger('warn', {}, (line) => lines.push(line));

function config(env: Record<string, string> = {}): TracingConfig {
  return loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', ...env }).tracing!;
}

describe('startTracing', () => {
  it('carries the active span as a traceparent, and continues it in a span that links the other traces', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing(config({ OTEL_SERVICE_NAME: 'tw-test' }), logger, { exporter });
    expect(tracing.traceparent()).toBeUndefined();
    const carried = await Promise.all(
      [1, 2, 3].map((n) => tracing.span(`request ${n}`, {}, async () => tracing.traceparent())),
    );
    expect(carried.every((t) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(t ?? ''))).toBe(true);
    await tracing.spanFrom('batch', [carried[0], undefined, carried[1], carried[2], carried[1]], { n: 3 }, async () => {
      expect(tracing.traceparent()?.slice(3, 35)).toBe(carried[0]!.slice(3, 35));
    });
    const batch = exporter.getFinishedSpans().find((span) => span.name === 'batch')!;
    expect(batch.spanContext().traceId).toBe(carried[0]!.slice(3, 35));
    expect(batch.parentSpanId).toBe(carried[0]!.slice(36, 52));
    expect(batch.links.map((link) => link.context.traceId)).toEqual([
      carried[1]!.slice(3, 35),
      carried[2]!.slice(3, 35),
    ]);
    expect(batch.resource.attributes['service.name']).toBe('tw-test');
    await tracing.shutdown();
  });

  it('records an error and rethrows it', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing(config(), logger, { exporter });
    await expect(tracing.span('fails', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const [span] = exporter.getFinishedSpans();
    expect(span!.status).toMatchObject({ code: 2, message: 'boom' });
    expect(span!.events.map((event) => event.name)).toEqual(['exception']);
    await tracing.shutdown();
  });

  it('samples as OTEL_TRACES_SAMPLER says: always_off records nothing and carries the decision on', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing(config({ OTEL_TRACES_SAMPLER: 'always_off' }), logger, { exporter });
    const carried = await tracing.span('dropped', {}, async () => tracing.traceparent());
    expect(carried).toMatch(/-00$/);
    expect(exporter.getFinishedSpans()).toEqual([]);
    await tracing.shutdown();
  });

  it('says so through the logger when the collector cannot be reached, and still stops', async () => {
    const tracing = startTracing(
      config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      logger,
    );
    await tracing.span('lost', {}, async () => undefined);
    await tracing.shutdown();
    expect(lines.some((line) => /WARN +could not export the last spans .*component="opentelemetry"/.test(line))).toBe(
      true,
    );
  });
});
