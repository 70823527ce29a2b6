// Time bounds on `events.occurred` that follow time order, not text order. Stored times end `.123Z` for a whole
// millisecond and `.123456Z` otherwise, and `Z` sorts after the digits, so within one millisecond text order puts
// the whole millisecond last. These conditions correct for that and still use the index on `occurred`.
import { type RawBuilder, sql } from 'kysely';

type Condition = RawBuilder<boolean>;

const occurred = sql.ref('events.occurred');

/** `occurred` at or after `since` (a normalised ISO time, with or without microseconds). */
export function occurredSince(since: string): Condition {
  const sinceMillis = since.slice(0, 23);
  return since.length === 24
    ? sql<boolean>`${occurred} >= ${sinceMillis}`
    : sql<boolean>`(${occurred} >= ${since} and ${occurred} <> ${`${sinceMillis}Z`})`;
}

/** `occurred` at or before `until` (a normalised ISO time, with or without microseconds). */
export function occurredUntil(until: string): Condition {
  const untilMillis = until.slice(0, 23);
  return until.length === 24
    ? sql<boolean>`(${occurred} < ${untilMillis} or ${occurred} = ${until})`
    : sql<boolean>`(${occurred} <= ${until} or ${occurred} = ${`${untilMillis}Z`})`;
}
