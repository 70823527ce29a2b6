// tripwire's Prometheus instruments, in one registry per set of services (so two tripwires in one test process keep
// their counts apart). Every label value comes from a closed set or from tripwire's own names (route patterns,
// trigger and action types, state types): nothing a sender controls becomes a label, so the series stay few and a
// slug (a secret) never reaches a scrape.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { processMetricsText } from './process-metrics';

/** What became of a request to /hooks/<slug>. */
export const WEBHOOK_OUTCOMES = [
  'accepted',
  'not_found',
  'method_not_allowed',
  'signature_refused',
  'bad_body',
  'too_large',
  'template_error',
  'invalid_event',
  'unavailable',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** What became of one delivery by the router: signalled, held for a rollover, or failed (retried later). */
export type DeliveryResult = 'delivered' | 'held' | 'failed';

/** The non-terminal flow-run states, counted from the database at each scrape. */
export const ACTIVE_FLOW_RUN_STATES = ['SCHEDULED', 'PENDING', 'RUNNING', 'CANCELLING', 'PAUSED'] as const;

/** Read at scrape time from the database of the process that serves /metrics. */
export interface MetricsProbes {
  outbox(): Promise<{ size: number; oldestEnqueuedAt: string | undefined }>;
  /** Counts of flow runs in each of ACTIVE_FLOW_RUN_STATES (states with none may be left out). */
  activeFlowRuns(): Promise<Record<string, number>>;
}

// Latencies from a millisecond to a few minutes: a delivery waits for Temporal, which may be away.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The instruments; callers record through them directly (prom-client's inc/observe are cheap). */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'tripwire_http_requests_total',
    help: 'HTTP requests answered, by method, matched route pattern (never the raw path) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'tripwire_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and matched route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly webhookRequests = new Counter({
    name: 'tripwire_webhook_requests_total',
    help: 'Requests to /hooks/<slug> by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly eventsStored = new Counter({
    name: 'tripwire_events_stored_total',
    help: 'Events newly stored (a re-sent event id is not counted again)',
    registers: [this.registry],
  });

  readonly eventsRouted = new Counter({
    name: 'tripwire_events_routed_total',
    help: 'Events that entered the outbox because some automation may want them',
    registers: [this.registry],
  });

  readonly routerDeliveries = new Counter({
    name: 'tripwire_router_deliveries_total',
    help: "Signals of events to automations' workflows, by result (delivered, held during a rollover, failed)",
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly routerDeliveryLatency = new Histogram({
    name: 'tripwire_router_delivery_latency_seconds',
    help: "Time from an event's receipt to its delivery to an automation's workflow",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly routerSignalDuration = new Histogram({
    name: 'tripwire_router_signal_duration_seconds',
    help: 'Time one signal of a batch of events to a workflow took',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly firings = new Counter({
    name: 'tripwire_automation_firings_total',
    help: 'Automation firings, by trigger type and state (triggered or resolved)',
    labelNames: ['trigger_type', 'state'] as const,
    registers: [this.registry],
  });

  readonly actions = new Counter({
    name: 'tripwire_actions_total',
    help: 'Actions run, by action type and status (executed, failed, or error when it is retried)',
    labelNames: ['action_type', 'status'] as const,
    registers: [this.registry],
  });

  readonly actionDuration = new Histogram({
    name: 'tripwire_action_duration_seconds',
    help: 'Time to run one action, by action type',
    labelNames: ['action_type'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly flowRunTransitions = new Counter({
    name: 'tripwire_flow_run_transitions_total',
    help: 'Flow runs entering a state, by state type (SCHEDULED when created)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  /** The outbox as read for the scrape in progress: its two gauges share one query. */
  private outboxRead: ReturnType<MetricsProbes['outbox']> | undefined;
  private probes: MetricsProbes | undefined;

  /**
   * Adds the gauges read from the database at each scrape (only the processes that serve the API do this, so
   * replicas of the worker do not report the same numbers again). A probe that fails (the database is down) shows
   * NaN, or no series, for that scrape rather than a stale number.
   */
  observeDatabase(probes: MetricsProbes): void {
    const observing = this.probes !== undefined;
    this.probes = probes;
    if (observing) return;
    const outbox = async () => {
      this.outboxRead ??= probes.outbox();
      return this.outboxRead.catch(() => undefined);
    };
    new Gauge({
      name: 'tripwire_outbox_events',
      help: "Events waiting in the outbox for delivery to automations' workflows",
      registers: [this.registry],
      async collect() {
        this.set((await outbox())?.size ?? NaN);
      },
    });
    new Gauge({
      name: 'tripwire_outbox_oldest_age_seconds',
      help: 'Age of the oldest event waiting in the outbox (0 when it is empty)',
      registers: [this.registry],
      async collect() {
        const read = await outbox();
        const oldest = read?.oldestEnqueuedAt;
        this.set(!read ? NaN : oldest ? Math.max(0, (Date.now() - Date.parse(oldest)) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'tripwire_flow_runs',
      help: 'Flow runs now in each non-terminal state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await probes.activeFlowRuns().catch(() => undefined);
        this.reset();
        if (counts) for (const state of ACTIVE_FLOW_RUN_STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
  }

  /** The scrape: these instruments, then the process's own (Node.js and the Temporal SDK), in Prometheus text. */
  async scrape(): Promise<string> {
    this.outboxRead = undefined;
    const [own, process] = await Promise.all([this.registry.metrics(), processMetricsText()]);
    return own + process;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
