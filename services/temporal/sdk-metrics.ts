// The Temporal SDK worker's own metrics (task slots, poll and schedule-to-start latencies, sticky cache, failures),
// merged into tripwire's /metrics instead of a second port: the SDK's runtime buffers its metric updates
// (`telemetryOptions.metrics.buffer`), and this module drains them into prom-client instruments of the process
// registry, before each scrape and every few seconds so the buffer never fills.
import { type BufferedMetricUpdate, MetricsBuffer } from '@temporalio/worker';
import type { MetricTags } from '@temporalio/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { onProcessScrape, processRegistry } from '../metrics/process-metrics';

/**
 * The labels the SDK's core attaches (sdk-core's telemetry/metrics.rs and client/metrics.rs); any other key is left
 * out, so a label set fixed at the first update stays valid.
 */
const SDK_LABELS = [
  'namespace',
  'task_queue',
  'workflow_type',
  'activity_type',
  'poller_type',
  'worker_type',
  'eager',
  'failure_reason',
  'operation',
  'status_code',
] as const;

// The SDK's histograms are latencies, in seconds here (useSecondsForDurations).
const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const DRAIN_EVERY_MS = 2000;

type Instrument =
  | { kind: 'counter'; metric: Counter<string> }
  | { kind: 'gauge'; metric: Gauge<string> }
  | { kind: 'up-down-counter'; metric: Gauge<string> }
  | { kind: 'histogram'; metric: Histogram<string> };

/** Translates the SDK's buffered metric updates into prom-client instruments. */
export class SdkMetrics {
  readonly buffer = new MetricsBuffer({ maxBufferSize: 100_000, useSecondsForDurations: true });
  private readonly instruments = new Map<string, Instrument | null>();
  // The SDK reuses the same tags object for a series; remember its label subset instead of filtering again.
  private readonly labels = new WeakMap<MetricTags, Record<string, string>>();

  constructor() {
    onProcessScrape(() => this.drain());
    setInterval(() => this.drain(), DRAIN_EVERY_MS).unref();
  }

  /** Applies every update buffered since the last drain. */
  drain(): void {
    for (const update of this.buffer.retrieveUpdates()) this.apply(update);
  }

  private apply({ metric, value, attributes }: BufferedMetricUpdate): void {
    const instrument = this.instrument(metric.name, metric.kind, metric.description);
    if (!instrument) return;
    const labels = this.labelsOf(attributes);
    switch (instrument.kind) {
      case 'counter':
        if (value > 0) instrument.metric.inc(labels, value);
        return;
      case 'gauge':
        instrument.metric.set(labels, value);
        return;
      case 'up-down-counter':
        instrument.metric.inc(labels, value);
        return;
      case 'histogram':
        instrument.metric.observe(labels, value);
        return;
    }
  }

  private instrument(rawName: string, kind: Instrument['kind'], description: string | undefined): Instrument | null {
    const known = this.instruments.get(rawName);
    if (known !== undefined) return known;
    const name = rawName.replace(/[^a-zA-Z0-9_:]/g, '_');
    const options = {
      name,
      help: description || `Temporal SDK metric ${name}`,
      labelNames: SDK_LABELS,
      registers: [processRegistry()],
    };
    let made: Instrument | null;
    try {
      made =
        kind === 'counter'
          ? { kind, metric: new Counter(options) }
          : kind === 'histogram'
            ? { kind, metric: new Histogram({ ...options, buckets: SECONDS_BUCKETS }) }
            : { kind, metric: new Gauge(options) };
    } catch {
      made = null; // a name prom-client refuses, or one already taken: that metric is left out
    }
    this.instruments.set(rawName, made);
    return made;
  }

  private labelsOf(attributes: MetricTags): Record<string, string> {
    let labels = this.labels.get(attributes);
    if (!labels) {
      labels = {};
      for (const key of SDK_LABELS) {
        const value = attributes[key];
        if (value !== undefined) labels[key] = String(value);
      }
      this.labels.set(attributes, labels);
    }
    return labels;
  }
}

let instance: SdkMetrics | undefined;

/** The process's bridge (one per process, as the SDK runtime is). */
export function sdkMetrics(): SdkMetrics {
  instance ??= new SdkMetrics();
  return instance;
}
