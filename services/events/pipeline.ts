// Every event enters tripwire here, whatever its source (webhooks, the events API, tripwire's own flow-run and
// automation events): validate → stamp → store (with its outbox row when a trigger may want it) → wake the router.
import crypto from 'node:crypto';
import type { EventRepository } from '../../db/events';
import { type EventRow, eventRow } from '../../db/event-writes';
import { fastParseEventInput } from '../../core/events/fast-parse';
import { uuid7 } from '../../core/ids';
import { GroupCommit } from './group-commit';
import type { Metrics } from '../metrics/metrics';
import type { Tracing } from '../tracing/tracing';
import {
  type Event,
  type EventLimits,
  formatIssues,
  makeEventSchemas,
  type ReceivedEvent,
} from '../../core/events/schema';
import { TripwireError, UnavailableError } from '../../core/errors';

export interface IngestDeps {
  events: EventRepository;
  limits: EventLimits;
  /** True when some enabled automation may care about `event`; only those events enter the outbox. */
  mayRoute(event: ReceivedEvent): boolean;
  /** Counts what is stored and routed. */
  metrics?: Pick<Metrics, 'eventsStored' | 'eventsRouted'>;
  /** When tracing is on: each store is a span, and its routed events' outbox rows carry its trace. */
  tracing?: Tracing;
  now?: () => Date;
}

/** One of tripwire's own events (audit, automation, flow-run and webhook-failure events); an id is made if absent. */
export type OwnEvent = Omit<Event, 'id'> & { id?: string };

export interface ValidationIssue {
  path: string;
  message: string;
}

/** Thrown when an event (or any event of a batch) is invalid; nothing of the batch was stored. */
export class EventValidationError extends TripwireError {
  constructor(readonly issues: ValidationIssue[]) {
    super('UNPROCESSABLE', 'invalid event: nothing of this request was stored', issues);
    this.name = 'EventValidationError';
  }
}

/** Thrown when the event store could not take the events; nothing was accepted. */
export class EventStoreUnavailableError extends UnavailableError {
  constructor(cause: unknown) {
    super('the event store', cause, 'nothing was accepted, retry later');
    this.name = 'EventStoreUnavailableError';
  }
}

/** Returns a fresh, time-ordered event id (UUIDv7, as Prefect's clients use). */
export function newEventId(now = Date.now()): string {
  return uuid7(now, randomByteFraction);
}

// A randomBytes call per id byte (ten per event) stood out in the webhook profile; the bytes come from a pool.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function randomByteFraction(): number {
  if (poolAt >= pool.length) {
    crypto.randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

/** The one way events enter tripwire. */
export class IngestPipeline {
  private readonly schemas;
  private readonly now: () => Date;
  private readonly writer: GroupCommit;
  private readonly routedListeners: (() => void)[] = [];
  private readonly storedListeners: (() => void)[] = [];

  constructor(private readonly deps: IngestDeps) {
    this.schemas = makeEventSchemas(deps.limits);
    const stored = deps.metrics?.eventsStored;
    this.writer = new GroupCommit(
      deps.events,
      deps.events.writesInOrder ? 4 : 1,
      stored ? (count) => stored.inc(count) : undefined,
    );
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Validates `inputs`, filling in `id` and `occurred` where absent. Throws EventValidationError naming every
   * problem (prefixed `[i]` for batches when `batch` is true) and returns nothing partial.
   */
  validate(inputs: unknown[], batch: boolean): Event[] {
    const issues: ValidationIssue[] = [];
    const events: Event[] = [];
    inputs.forEach((input, index) => {
      const fast = fastParseEventInput(input, this.deps.limits);
      const parsed = fast ? { success: true as const, data: fast } : this.schemas.eventInput.safeParse(input);
      if (!parsed.success) {
        for (const issue of formatIssues(parsed.error)) {
          issues.push({
            path: batch ? `[${index}]${issue.path ? '.' + issue.path : ''}` : issue.path,
            message: issue.message,
          });
        }
        return;
      }
      const now = this.now();
      events.push({
        ...parsed.data,
        id: parsed.data.id ?? newEventId(now.getTime()),
        occurred: parsed.data.occurred ?? now.toISOString(),
      });
    });
    if (issues.length > 0) throw new EventValidationError(issues);
    return events;
  }

  /** Calls `listener` after events were stored with outbox rows, so the router drains now, not at its next poll. */
  whenRouted(listener: () => void): void {
    this.routedListeners.push(listener);
  }

  /** Calls `listener` after any events were stored, for live subscribers. */
  whenStored(listener: () => void): void {
    this.storedListeners.push(listener);
  }

  /**
   * Stores tripwire's own events as one unit. They are validated like a sender's, so an event built wrong fails
   * here (EventValidationError) rather than in a consumer; resolves once they are durable.
   */
  async emit(events: OwnEvent[]): Promise<ReceivedEvent[]> {
    return this.store(this.validate(events, events.length > 1));
  }

  /** Validates and stores `inputs` as one unit; resolves once they are durable. */
  async accept(inputs: unknown[], batch = true): Promise<ReceivedEvent[]> {
    return this.store(this.validate(inputs, batch));
  }

  /**
   * Stamps already valid events (tripwire's own) as received now and says which enter the outbox, for a caller that
   * stores them in a transaction of its own (a flow run's state change with its events); once that has committed, it
   * calls storedElsewhere() so the router and live subscribers look.
   */
  rowsFor(events: Event[]): { rows: EventRow[]; routed: number } {
    const received = this.now().toISOString();
    // Their outbox rows carry the current trace, as store()'s do.
    const trace = this.deps.tracing?.traceparent();
    let routed = 0;
    const rows = events.map((event) => {
      const stamped: ReceivedEvent = { ...event, received };
      const route = this.deps.mayRoute(stamped);
      if (route) routed += 1;
      return eventRow(stamped, route, trace);
    });
    return { rows, routed };
  }

  /** Counts rowsFor()'s `stored` events and tells the router (when some were routed) and live subscribers. */
  storedElsewhere(stored: number, routed: number): void {
    this.deps.metrics?.eventsStored.inc(stored);
    if (routed > 0) {
      this.deps.metrics?.eventsRouted.inc(routed);
      for (const listener of this.routedListeners) listener();
    }
    for (const listener of this.storedListeners) listener();
  }

  /** Stores already valid events (tripwire's own); resolves once they are durable. Redelivered ids are ignored. */
  async store(events: Event[]): Promise<ReceivedEvent[]> {
    const tracing = this.deps.tracing;
    if (!tracing) return this.storeNow(events, undefined);
    return tracing.span('tripwire.ingest', { 'tripwire.events': events.length }, (span) =>
      this.storeNow(events, tracing.traceparent(), (routed) => span.setAttribute('tripwire.events.routed', routed)),
    );
  }

  private async storeNow(
    events: Event[],
    trace: string | undefined,
    onRouted?: (routed: number) => void,
  ): Promise<ReceivedEvent[]> {
    const received = this.now().toISOString();
    const stamped: ReceivedEvent[] = events.map((e) => ({ ...e, received }));
    const route = new Set(stamped.filter((e) => this.deps.mayRoute(e)).map((e) => e.id));
    onRouted?.(route.size);
    try {
      await this.writer.write(stamped, route, trace);
    } catch (error) {
      throw new EventStoreUnavailableError(error);
    }
    if (route.size > 0) {
      this.deps.metrics?.eventsRouted.inc(route.size);
      for (const listener of this.routedListeners) listener();
    }
    for (const listener of this.storedListeners) listener();
    return stamped;
  }
}
