// The Temporal client's part of a trace: starting, signalling and describing workflows become spans, and the active
// context travels in the call's headers to the workflow (and from there to its activities).
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { Tracing } from './tracing';

/** The client interceptors for `tracing`, or none when tracing is off. */
export function tracingClientInterceptors(tracing: Tracing | undefined): WorkflowClientInterceptor[] {
  return tracing ? [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] : [];
}
