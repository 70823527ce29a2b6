// The worker's part of a trace (when tracing is on): workflow runs, signal handlers and activity schedules become
// spans inside the sandbox (exported through a sink to the process's span processor), activity executions become
// spans on the Node side, and tripwire's own two workflow interceptors make a firing's activities continue the trace
// of its triggering event (workflows/tracing/). Off, the worker is created exactly as without tracing.
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { WorkerOptions } from '@temporalio/worker';
import type { Tracing } from '../services/tracing/tracing';

/** The workflow interceptors of @temporalio/interceptors-opentelemetry, for a bundle of flows. */
export const OTEL_WORKFLOW_INTERCEPTORS =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** The options of tripwire's own worker that trace with `tracing`. */
export function tracingWorkerOptions(tracing: Tracing): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const options = flowTracingWorkerOptions(tracing);
  return {
    ...options,
    interceptors: {
      ...options.interceptors,
      // Order matters: interceptors run in this order, outbound calls outermost first, inbound ones likewise.
      workflowModules: [
        require.resolve('../workflows/tracing/outbound'),
        OTEL_WORKFLOW_INTERCEPTORS,
        require.resolve('../workflows/tracing/inbound'),
      ],
    },
  };
}

/**
 * The options of a pool's worker that trace with `tracing`; its bundle must be built with OTEL_WORKFLOW_INTERCEPTORS
 * among its `workflowInterceptorModules`.
 */
export function flowTracingWorkerOptions(tracing: Tracing): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
