// De-duplication and causal ordering of the events one automation receives (Prefect's `ordering` module), kept in
// the JSON state instead of a process-wide cache. Mutates the state it is given.
//
// Implementation notes:
// - Seen: the id of every processed event, with the wall-clock time it was processed; an id seen in the last 30 min
//   is skipped. The list is pruned as time passes and capped (oldest dropped first) so the state stays bounded.
// - Followers: an event that `follows` another, received less than 15 min ago, whose leader has not been processed,
//   is parked. When the leader is processed its followers run right after it, in `occurred` order, up to 20 levels
//   deep (deeper ones stay parked). A follower still parked 15 min after it was received is "lost" and processed on
//   the next tick, as Prefect's periodic task does; the cap on parked events treats the oldest as lost early.
import type { ReceivedEvent } from '../events/schema';
import type { TriggerState } from './state';
import { formatTime, parseTime, SECOND } from './time';

/** How long a processed event id is remembered (Prefect's SEEN_EXPIRATION). */
export const SEEN_EXPIRATION = 30 * 60 * SECOND;
/** How long a follower waits for its leader (Prefect's PRECEDING_EVENT_LOOKBACK). */
export const FOLLOWER_TIMEOUT = 15 * 60 * SECOND;
/** How many generations of followers one leader releases at once (Prefect's MAX_DEPTH_OF_PRECEDING_EVENT). */
export const MAX_FOLLOWER_DEPTH = 20;
/** The most event ids remembered; beyond it the oldest are forgotten early. */
export const MAX_SEEN = 5_000;
/** The most followers parked; beyond it the earliest received is processed as if its leader were lost. */
export const MAX_PARKED = 500;

/** Forgets seen ids older than the expiration, and the oldest ones beyond the cap. */
export function pruneSeen(state: TriggerState, now: number): void {
  // Ids are recorded in processing order and the workflow's clock never goes back, so the expired ones are a prefix:
  // only they (and the first fresh one) are parsed. Were `now` ever to go back, an expired id left behind the prefix
  // is still not "seen", because hasBeenSeen checks its age.
  let expired = 0;
  while (expired < state.seen.length && now - parseTime(state.seen[expired]!.at) >= SEEN_EXPIRATION) expired += 1;
  const excess = Math.max(0, state.seen.length - expired - MAX_SEEN);
  if (expired + excess > 0) forget(state, expired + excess);
}

/** True when `id` was processed less than 30 minutes before `now`. */
export function hasBeenSeen(state: TriggerState, id: string, now: number): boolean {
  const entry = findSeen(state, id);
  return entry !== undefined && now - parseTime(entry.at) < SEEN_EXPIRATION;
}

/** Records that the event `id` has been processed at `now`. */
export function recordSeen(state: TriggerState, id: string, now: number): void {
  const previous = findSeen(state, id);
  if (previous) {
    state.seen.splice(state.seen.indexOf(previous), 1);
    indexes.get(state.seen)?.delete(id);
  }
  const entry = { id, at: formatTime(now) };
  state.seen.push(entry);
  indexes.get(state.seen)?.set(id, entry);
  if (state.seen.length > MAX_SEEN) forget(state, 1);
}

type SeenEntry = TriggerState['seen'][number];

// A lookup of the seen list by id, built once a pass has searched the list often: with thousands of ids, a linear
// search per event dominated a large batch, while building the index costs more than the few searches of a small
// one. A pass works on its own copy of the list (cloneState), so an index never outlives its pass; every change to
// the list goes through recordSeen and forget, which keep the index in step.
const INDEX_AFTER_SEARCHES = 16;
const indexes = new WeakMap<SeenEntry[], Map<string, SeenEntry>>();
const searches = new WeakMap<SeenEntry[], number>();

function findSeen(state: TriggerState, id: string): SeenEntry | undefined {
  const index = indexes.get(state.seen);
  if (index) return index.get(id);
  const count = (searches.get(state.seen) ?? 0) + 1;
  searches.set(state.seen, count);
  if (count < INDEX_AFTER_SEARCHES) return state.seen.find((entry) => entry.id === id);
  const built = new Map(state.seen.map((entry) => [entry.id, entry]));
  indexes.set(state.seen, built);
  return built.get(id);
}

/** Drops the `count` oldest seen ids. */
function forget(state: TriggerState, count: number): void {
  const index = indexes.get(state.seen);
  for (const entry of state.seen.splice(0, count)) {
    if (index?.get(entry.id) === entry) index.delete(entry.id);
  }
}

/** True when `event` must wait for its leader: it follows another event, is recent, and the leader is unseen. */
export function mustWaitForLeader(state: TriggerState, event: ReceivedEvent, now: number): boolean {
  if (!event.follows || event.follows === event.id) return false;
  if (now - parseTime(event.received) >= FOLLOWER_TIMEOUT) return false;
  return !hasBeenSeen(state, event.follows, now);
}

/** True when an event with this id is parked. */
export function isParked(state: TriggerState, id: string): boolean {
  return state.parked.some((parked) => parked.event.id === id);
}

/** Parks `event`; returns the followers evicted to respect the cap, to be processed now as lost. */
export function park(state: TriggerState, event: ReceivedEvent): ReceivedEvent[] {
  if (!isParked(state, event.id)) state.parked.push({ event });
  if (state.parked.length <= MAX_PARKED) return [];
  const byReceipt = [...state.parked].sort((a, b) => parseTime(a.event.received) - parseTime(b.event.received));
  const evicted = byReceipt.slice(0, state.parked.length - MAX_PARKED).map((parked) => parked.event);
  for (const follower of evicted) unpark(state, follower.id);
  return byOccurred(evicted);
}

/** Removes the parked event with this id. */
export function unpark(state: TriggerState, id: string): void {
  state.parked = state.parked.filter((parked) => parked.event.id !== id);
}

/** Returns the parked followers of `leaderId` in `occurred` order, leaving them parked. */
export function followersOf(state: TriggerState, leaderId: string): ReceivedEvent[] {
  return byOccurred(state.parked.map((parked) => parked.event).filter((event) => event.follows === leaderId));
}

/** Removes and returns the followers received at least 15 minutes before `now`, in `occurred` order. */
export function takeLostFollowers(state: TriggerState, now: number): ReceivedEvent[] {
  const lost = state.parked
    .map((parked) => parked.event)
    .filter((event) => parseTime(event.received) <= now - FOLLOWER_TIMEOUT);
  for (const event of lost) unpark(state, event.id);
  return byOccurred(lost);
}

/** Returns when the earliest parked follower will be lost (its receipt + 15 min), in microseconds. */
export function nextFollowerTimeout(state: TriggerState): number | undefined {
  const times = state.parked.map((parked) => parseTime(parked.event.received) + FOLLOWER_TIMEOUT);
  return times.length === 0 ? undefined : Math.min(...times);
}

/** Returns `events` sorted by `occurred`, keeping arrival order among equal times. */
export function byOccurred(events: ReceivedEvent[]): ReceivedEvent[] {
  return events
    .map((event, index) => ({ event, index, at: parseTime(event.occurred) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map((entry) => entry.event);
}
