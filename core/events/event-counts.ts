// Prefect's event counts (`POST /api/events/count-by/{countable}`, server `events/counting.py`): how many events an
// EventFilter selects per time bucket, per event name or per primary resource. Pure: the events and `now` come in.
import { z } from 'zod';
import type { ReceivedEvent } from './schema';
import { sortableTime } from './timestamp';
import { TripwireError } from '../errors';

export const COUNTABLES = ['day', 'time', 'event', 'resource'] as const;
export type Countable = (typeof COUNTABLES)[number];
export const TIME_UNITS = ['week', 'day', 'hour', 'minute', 'second'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

/** Prefect divides all time into buckets counted from this Monday (its PIVOT_DATETIME). */
const PIVOT_MS = Date.UTC(2024, 3, 1);
const UNIT_MS: Record<TimeUnit, number> = {
  week: 7 * 86_400_000,
  day: 86_400_000,
  hour: 3_600_000,
  minute: 60_000,
  second: 1000,
};
const MAX_BUCKETS = 1000;

export const countRequestSchema = z.object({
  filter: z.unknown(),
  time_unit: z.enum(TIME_UNITS).default('day'),
  time_interval: z.number().min(0.01).default(1),
});

export interface EventCount {
  value: string;
  label: string;
  count: number;
  start_time: string;
  end_time: string;
}

/** Thrown for bucket sizes Prefect refuses (its InvalidEventCountParameters, a 422). */
export class InvalidCountParameters extends TripwireError {
  constructor(message: string) {
    super('UNPROCESSABLE', message);
    this.name = 'InvalidCountParameters';
  }
}

/** Counts events one at a time, so a count never holds the events themselves. */
export interface EventCounter {
  add(event: ReceivedEvent): void;
  result(): EventCount[];
}

/**
 * Returns a counter of events (already selected by the filter, whose bounds are `range`) by `countable`. Time
 * buckets cover the whole range, empty ones included, as Prefect's `process_time_based_counts` fills them in.
 * Throws InvalidCountParameters for more than 1,000 buckets.
 */
export function eventCounter(
  countable: Countable,
  range: { since: string; until: string },
  unit: TimeUnit,
  interval: number,
  now: Date,
): EventCounter {
  if (countable === 'day') return timeCounter(range, 'day', 1, now);
  if (countable === 'time') return timeCounter(range, unit, interval, now);
  const groups = new Map<string, { label: string; latest: string; oldest: string; count: number }>();
  return {
    add(event) {
      const resourceId = event.resource['prefect.resource.id'] ?? '';
      const value = countable === 'event' ? event.event : resourceId;
      const label =
        countable === 'event'
          ? event.event
          : (event.resource['prefect.resource.name'] ?? event.resource['prefect.name'] ?? resourceId);
      const at = sortableTime(event.occurred);
      const group = groups.get(value);
      if (!group) {
        groups.set(value, { label, latest: at, oldest: at, count: 1 });
        return;
      }
      group.count++;
      // A value is labelled as its latest event labels it (resources get renamed).
      if (at >= group.latest) {
        group.latest = at;
        group.label = label;
      }
      if (at < group.oldest) group.oldest = at;
    },
    result: () =>
      [...groups.entries()]
        .map(([value, g]) => ({
          value,
          label: g.label,
          count: g.count,
          start_time: fromSortable(g.oldest),
          end_time: fromSortable(g.latest),
        }))
        .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)),
  };
}

function timeCounter(
  range: { since: string; until: string },
  unit: TimeUnit,
  interval: number,
  now: Date,
): EventCounter {
  const size = UNIT_MS[unit] * interval;
  const since = Date.parse(range.since);
  let end = Date.parse(range.until);
  const buckets = Math.ceil((end - since) / size);
  if (buckets > MAX_BUCKETS) {
    throw new InvalidCountParameters(
      `The given interval would create ${buckets} buckets, which is too many. Please increase the interval or ` +
        `reduce the time range to produce ${MAX_BUCKETS} buckets or fewer.`,
    );
  }
  if (end > now.getTime()) end = endOfPeriod(now, unit);
  const first = Math.floor((since - PIVOT_MS) / size);
  const spans: EventCount[] = [];
  for (let start = PIVOT_MS + size * first; start < end; start += size) {
    spans.push({
      value: String(spans.length),
      label: pythonIsoFormat(start),
      count: 0,
      start_time: new Date(Math.floor(start)).toISOString(),
      end_time: microsBefore(start + size),
    });
  }
  return {
    add(event) {
      const span = spans[Math.floor((Date.parse(event.occurred) - PIVOT_MS) / size) - first];
      if (span) span.count++;
    },
    result: () => spans,
  };
}

/** The last microsecond of the second, minute, hour, day or (Monday-started) week containing `now`. */
function endOfPeriod(now: Date, unit: TimeUnit): number {
  const at = now.getTime();
  if (unit === 'week') {
    const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const monday = day - ((now.getUTCDay() + 6) % 7) * UNIT_MS.day;
    return monday + UNIT_MS.week - 0.001;
  }
  return Math.floor(at / UNIT_MS[unit]) * UNIT_MS[unit] + UNIT_MS[unit] - 0.001;
}

/** An ISO time one microsecond before `ms` (Prefect's span ends), with microseconds written out. */
function microsBefore(ms: number): string {
  const micros = Math.round(ms * 1000) - 1;
  const whole = Math.floor(micros / 1000);
  return `${new Date(whole).toISOString().slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
}

/** Python's `datetime.isoformat()` of a UTC time: no fraction when it is zero, `+00:00` for the zone. */
function pythonIsoFormat(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  const micros = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1000);
  return micros === 0 ? `${iso.slice(0, 19)}+00:00` : `${iso.slice(0, 19)}.${String(micros).padStart(6, '0')}+00:00`;
}

function fromSortable(at: string): string {
  return at.endsWith('000Z') && at.length === 27 ? `${at.slice(0, 23)}Z` : at;
}
