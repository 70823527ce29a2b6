// OpenTelemetry tracing: one trace per webhook request (or API call) that follows its events through the outbox, the
// router's signal, the automation's workflow, the firing's actions and the flow runs they start. Off by default; on
// with the standard OTEL_* variables (services/config/env.ts reads them). When off, nothing here is constructed and
// the hot paths see only an absent dependency.
//
// Temporal carries the context in its headers (@temporalio/interceptors-opentelemetry, wired in temporal.ts); the
// outbox carries it as a W3C traceparent in the outbox row (event_outbox.trace), never in the event itself, so the
// stored event stays Prefect's JSON.
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/env';
import type { Logger } from '../logging/logger';

/** Most other traces a span that serves a batch links to (beyond its parent). */
const MAX_LINKS = 32;

/** Tracing as the services use it. */
export interface Tracing {
  readonly tracer: otel.Tracer;
  /** Where the spans go; the worker hands it the spans its workflows record. */
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  /** The W3C traceparent of the active span, to carry the trace where no context flows (the outbox). */
  traceparent(): string | undefined;
  /** Runs `fn` in a span that is a child of the active one. */
  span<T>(name: string, attributes: otel.Attributes, fn: (span: otel.Span) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a span that continues the first of `traceparents` and links the other traces (a batch serves
   * several requests; each request's trace then shows the batch, and the batch names every request it served).
   */
  spanFrom<T>(
    name: string,
    traceparents: readonly (string | undefined)[],
    attributes: otel.Attributes,
    fn: (span: otel.Span) => Promise<T>,
  ): Promise<T>;
  /** Exports what is buffered and stops; never rejects. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Spans go here instead of the configured exporter, synchronously (the tests' in-memory exporter). */
  exporter?: SpanExporter;
}

/**
 * Starts tracing as `config` says. The context manager and propagator it needs are registered process-wide, and so
 * is `logger` for OpenTelemetry's own warnings (a collector that cannot be reached, spans dropped).
 */
export function startTracing(config: TracingConfig, logger: Logger, options: TracingOptions = {}): Tracing {
  const log = logger.child({ component: 'opentelemetry' });
  registerGlobals(log);
  const resource = new Resource({ ...config.resourceAttributes, 'service.name': config.serviceName });
  const spanProcessor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(exporterFor(config));
  const provider = new BasicTracerProvider({ resource, sampler: samplerFor(config) });
  provider.addSpanProcessor(spanProcessor);
  const tracer = provider.getTracer('tripwire');

  const run = <T>(span: otel.Span, parent: otel.Context, fn: (span: otel.Span) => Promise<T>): Promise<T> =>
    otel.context.with(otel.trace.setSpan(parent, span), async () => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: otel.SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });

  return {
    tracer,
    spanProcessor,
    resource,
    traceparent() {
      const carrier: Record<string, string> = {};
      otel.propagation.inject(otel.context.active(), carrier);
      return carrier.traceparent;
    },
    span(name, attributes, fn) {
      const parent = otel.context.active();
      return run(tracer.startSpan(name, { attributes }, parent), parent, fn);
    },
    spanFrom(name, traceparents, attributes, fn) {
      const contexts: otel.SpanContext[] = [];
      for (const traceparent of new Set(traceparents)) {
        if (!traceparent) continue;
        const spanContext = otel.trace.getSpanContext(otel.propagation.extract(otel.ROOT_CONTEXT, { traceparent }));
        if (spanContext) contexts.push(spanContext);
        if (contexts.length > MAX_LINKS) break;
      }
      const [first, ...others] = contexts;
      const parent = first ? otel.trace.setSpanContext(otel.ROOT_CONTEXT, first) : otel.context.active();
      const links = others.map((context) => ({ context }));
      return run(tracer.startSpan(name, { attributes, links }, parent), parent, fn);
    },
    async shutdown() {
      // Stopping must not fail because the collector is away; the spans still buffered are lost then, and said so.
      await provider
        .shutdown()
        .catch((error: unknown) => log.warn('could not export the last spans', { error: (error as Error).message }));
    },
  };
}

let globalsRegistered = false;

// The Temporal interceptors read the active context and inject it with the global propagator, so both are
// process-wide. Registering them changes nothing for code that does not trace.
function registerGlobals(log: Logger): void {
  if (globalsRegistered) return;
  globalsRegistered = true;
  otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  otel.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const warn = (message: string, ...args: unknown[]) =>
    log.warn(message, args.length > 0 ? { detail: args.map((arg) => String(arg)).join(' ') } : undefined);
  const ignore = () => undefined;
  otel.diag.setLogger(
    { error: warn, warn, info: ignore, debug: ignore, verbose: ignore },
    { logLevel: otel.DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

function exporterFor(config: TracingConfig): SpanExporter {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  const options = { url: config.otlp.url, headers: { ...config.otlp.headers } };
  return config.otlp.protocol === 'http/json' ? new OtlpJsonExporter(options) : new OtlpProtoExporter(options);
}

function samplerFor(config: TracingConfig): Sampler {
  const root = (kind: string): Sampler =>
    kind === 'always_off'
      ? new AlwaysOffSampler()
      : kind === 'traceidratio'
        ? new TraceIdRatioBasedSampler(config.samplerRatio)
        : new AlwaysOnSampler();
  return config.sampler.startsWith('parentbased_')
    ? new ParentBasedSampler({ root: root(config.sampler.slice('parentbased_'.length)) })
    : root(config.sampler);
}
