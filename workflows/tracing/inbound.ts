// Registered after @temporalio/interceptors-opentelemetry's workflow interceptors (worker/tracing.ts), so it runs
// inside their signal handler span: each event of an `events` signal is remembered with that span's context.
import * as otel from '@opentelemetry/api';
import type {
  Next,
  SignalInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { eventsSignal, type EventsSignalInput } from '../messages';
import { rememberEvent } from './event-contexts';

class EventContextInterceptor implements WorkflowInboundCallsInterceptor {
  handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    if (input.signalName === eventsSignal.name) {
      const context = otel.context.active();
      for (const event of (input.args[0] as EventsSignalInput | undefined)?.events ?? [])
        rememberEvent(event.id, context);
    }
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new EventContextInterceptor()] });
