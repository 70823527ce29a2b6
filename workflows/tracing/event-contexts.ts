// Which trace each event the workflow received belongs to. The router's signal carries its trace in Temporal's
// headers, and the signal's handler span is where that trace enters the workflow; but the workflow evaluates its
// trigger later, in its main loop, whose own context is the run's (the trace of whatever started the workflow). This
// remembers the handler's context per event id, so a firing's activities continue the trace of the event that
// triggered it. Bundled into the workflow sandbox only when tracing is on (worker/tracing.ts).
import type * as otel from '@opentelemetry/api';

/** Events remembered per workflow: a firing's triggering event is nearly always among the last few received. */
const REMEMBERED = 256;

// Module state is the workflow's own: the sandbox evaluates bundle modules once per workflow.
const contexts = new Map<string, otel.Context>();

/** Remembers that `eventId` arrived in `context`. */
export function rememberEvent(eventId: string, context: otel.Context): void {
  contexts.delete(eventId);
  contexts.set(eventId, context);
  if (contexts.size > REMEMBERED) contexts.delete(contexts.keys().next().value!);
}

/** The context `eventId` arrived in, if remembered. */
export function contextOfEvent(eventId: string): otel.Context | undefined {
  return contexts.get(eventId);
}
