// Fixtures for the trigger-engine tests, mirroring Prefect's tests/events/server/conftest.py, and a harness that drives
// the pure engine the way the automation workflow does, round-tripping the state through JSON at every step.
import type { ReceivedEvent } from '../../../core/events/schema';
import { ingest, initialTriggerState, nextWakeAt, onTick, type TriggerState } from '../../../core/triggers/evaluate';
import { type Firing, type Trigger, triggerSchema } from '../../../core/triggers/schema';
import { formatTime, parseTime } from '../../../core/triggers/time';

/** The frozen wall clock of a test (Prefect's `frozen_time` / `start_of_test`). */
export const START = '2024-06-01T12:00:00.000Z';

/** Returns `base` shifted by `seconds` (fractions allowed, down to microseconds). */
export function at(seconds: number, base: string = START): string {
  return formatTime(parseTime(base) + Math.round(seconds * 1_000_000));
}

/** Minutes, for readability. */
export const minutes = (count: number): number => count * 60;

let eventCounter = 0;

/** Returns a fresh event id. */
export function eventId(): string {
  eventCounter += 1;
  return `00000000-0000-4000-8000-${String(eventCounter).padStart(12, '0')}`;
}

/** Builds a received event; `received` defaults to the frozen wall clock, as Prefect's `.receive()` does. */
export function received(
  fields: Pick<ReceivedEvent, 'event' | 'occurred'> & Partial<Omit<ReceivedEvent, 'event' | 'occurred'>>,
): ReceivedEvent {
  return {
    id: eventId(),
    resource: { 'prefect.resource.id': 'some.resource' },
    related: [],
    payload: {},
    follows: null,
    received: START,
    ...fields,
  };
}

/** A copy of `event` with a new id (Prefect's tests mutate and re-send the same event object). */
export function again(event: ReceivedEvent, changes: Partial<ReceivedEvent> = {}): ReceivedEvent {
  return { ...event, id: eventId(), ...changes };
}

/** Parses a trigger in Prefect's JSON shape. */
export function trigger(json: unknown): Trigger {
  return triggerSchema.parse(json);
}

/** A deterministic id source. */
export function idSource(prefix = 'firing'): () => string {
  let counter = 0;
  return () => `${prefix}-${++counter}`;
}

/**
 * Drives one trigger tree like the automation workflow: events through `ingest`, time through `onTick`, with the
 * state serialised and parsed again after every step, as continue-as-new would.
 */
export class Engine {
  state: TriggerState;
  readonly firings: Firing[] = [];
  private readonly newId = idSource();

  constructor(
    readonly trigger: Trigger,
    now: string = START,
  ) {
    this.state = roundTrip(initialTriggerState(trigger, now));
  }

  /** Ingests `events` at wall time `now` (default: the frozen clock) and returns the firings. */
  send(events: ReceivedEvent | ReceivedEvent[], now: string = START): Firing[] {
    const result = ingest(this.trigger, this.state, Array.isArray(events) ? events : [events], now, this.newId);
    return this.record(result);
  }

  /** Lets time pass to `now` and returns the firings. */
  tick(now: string): Firing[] {
    return this.record(onTick(this.trigger, this.state, now, this.newId));
  }

  /** The next wake the workflow would sleep until. */
  wake(): string | null {
    return nextWakeAt(this.trigger, this.state);
  }

  private record(result: { state: TriggerState; firings: Firing[] }): Firing[] {
    this.state = roundTrip(result.state);
    this.firings.push(...result.firings);
    return result.firings;
  }
}

/** Returns `value` after a JSON round trip. */
export function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

// ---- Prefect's conftest fixtures -----------------------------------------------------------------------------------

export const arachnophobia = (): Trigger =>
  trigger({
    type: 'event',
    expect: ['animal.walked'],
    match: { class: 'Arachnida', order: 'Araneae' },
    posture: 'Reactive',
    threshold: 1,
  });

export const chonkParty = (): Trigger =>
  trigger({
    type: 'event',
    expect: ['animal.walked'],
    match: { genus: 'Marmota', species: 'monax' },
    posture: 'Reactive',
    threshold: 3,
    within: 10,
  });

export const chonkLonely = (): Trigger =>
  trigger({
    type: 'event',
    expect: ['animal.table_for_one'],
    match: { genus: 'Marmota', species: 'monax' },
    posture: 'Reactive',
    threshold: 1,
    within: 10,
  });

export const chonkSadness = (): Trigger =>
  trigger({
    type: 'event',
    expect: ['animal.walked'],
    match: { genus: 'Marmota', species: 'monax' },
    posture: 'Proactive',
    threshold: 1,
    within: 30,
  });

export const myPoorLilies = (): Trigger =>
  trigger({
    type: 'event',
    expect: ['animal.ingested'],
    match_related: { 'prefect.resource.role': 'meal', genus: 'Hemerocallis', species: 'fulva' },
    posture: 'Reactive',
    threshold: 0,
    within: 30,
  });

export const animalLover = (): Trigger =>
  trigger({ type: 'event', expect: [], match: { kingdom: 'Animalia' }, posture: 'Reactive', threshold: 0, within: 30 });

const woodchuck = {
  kingdom: 'Animalia',
  phylum: 'Chordata',
  class: 'Mammalia',
  order: 'Rodentia',
  family: 'Sciuridae',
  genus: 'Marmota',
  species: 'monax',
  'prefect.resource.id': 'woodchonk',
};

export const daddyLongLegsWalked = (): ReceivedEvent =>
  received({
    occurred: at(0.000001),
    event: 'animal.walked',
    resource: {
      kingdom: 'Animalia',
      phylum: 'Arthropoda',
      class: 'Arachnida',
      order: 'Araneae',
      family: 'Pholcidae',
      genus: 'Pholcus',
      species: 'phalangioides',
      'prefect.resource.id': 'daddy-long-legs',
    },
  });

export const woodchonkWalked = (): ReceivedEvent =>
  received({ occurred: at(0.000002), event: 'animal.walked', resource: { ...woodchuck } });

export const woodchonkTableForOne = (): ReceivedEvent =>
  received({ occurred: at(0.000002), event: 'animal.table_for_one', resource: { ...woodchuck } });

export const woodchonkNibbled = (): ReceivedEvent =>
  received({
    occurred: at(0.000002),
    event: 'animal.ingested',
    resource: { ...woodchuck },
    related: [
      {
        'prefect.resource.role': 'meal',
        kingdom: 'Plantae',
        order: 'Asparagales',
        family: 'Asphodelaceae',
        genus: 'Hemerocallis',
        species: 'fulva',
        'prefect.resource.id': 'my-lily',
      },
      {
        'prefect.resource.role': 'meal',
        kingdom: 'Plantae',
        order: 'Liliales',
        family: 'Liliaceae',
        genus: 'Tulipa',
        species: 'gesneriana',
        'prefect.resource.id': 'my-tulip',
      },
    ],
  });

export const woodchonkGobbled = (): ReceivedEvent =>
  received({
    occurred: at(0.000003),
    event: 'animal.ingested',
    resource: { ...woodchuck },
    related: [
      {
        'prefect.resource.role': 'meal',
        kingdom: 'Plantae',
        order: 'Ranunculales',
        family: 'Papaveraceae',
        genus: 'Dicentra',
        species: 'cucullaria',
        'prefect.resource.id': 'my-bleeding-heart',
      },
      {
        'prefect.resource.role': 'meal',
        kingdom: 'Plantae',
        order: 'Asparagales',
        family: 'Amaryllidaceae',
        genus: 'Narcissus',
        species: 'poeticus',
        'prefect.resource.id': 'my-daffodil',
      },
    ],
  });

/** Shifts an event's `occurred` by `seconds` and gives it a new id, as Prefect's tests do in place. */
export function later(event: ReceivedEvent, seconds: number): ReceivedEvent {
  return again(event, { occurred: at(seconds, event.occurred) });
}
