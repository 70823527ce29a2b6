// Time bounds on `events.occurred`. The column holds every time with six fraction digits (`sortableTime`), so text
// order is time order and a bound is a plain comparison that the index on `occurred` serves.
import { type RawBuilder, sql } from 'kysely';
import { sortableTime } from '../core/events/timestamp';

const occurred = sql.ref('events.occurred');

/** `occurred` at or after `since` (a normalised ISO time, with or without microseconds). */
export function occurredSince(since: string): RawBuilder<boolean> {
  return sql<boolean>`${occurred} >= ${sortableTime(since)}`;
}

/** `occurred` at or before `until` (a normalised ISO time, with or without microseconds). */
export function occurredUntil(until: string): RawBuilder<boolean> {
  return sql<boolean>`${occurred} <= ${sortableTime(until)}`;
}
