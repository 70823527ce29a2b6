// Registered before @temporalio/interceptors-opentelemetry's workflow interceptors (worker/tracing.ts), so their
// activity span starts in the context set here: a firing's activities continue the trace of its triggering event
// (event-contexts.ts) rather than the run's.
import * as otel from '@opentelemetry/api';
import type {
  ActivityInput,
  Next,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type { RunActionInput, RunFiringsInput } from '../activity-contracts';
import { contextOfEvent } from './event-contexts';

class FiringContextInterceptor implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    const eventId = triggeringEventId(input);
    const context = eventId === undefined ? undefined : contextOfEvent(eventId);
    return context ? otel.context.with(context, () => next(input)) : next(input);
  }
}

/** The triggering event of the (first) firing an activity works on, if it is one of the automation's activities. */
function triggeringEventId(input: ActivityInput): string | undefined {
  const [arg] = input.args as [Partial<RunFiringsInput & RunActionInput> | undefined];
  const firing = arg?.batch?.[0]?.firing ?? arg?.firing;
  return firing?.triggering_event?.id;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new FiringContextInterceptor()] });
