// Builders of valid records for tests, with just the fields a test cares about overridden.
import crypto from 'node:crypto';
import type { ReceivedEvent } from '../../core/events/schema';

let clock = Date.parse('2026-01-01T00:00:00.000Z');

/** Returns a valid received event; successive calls occur one millisecond apart. */
export function makeEvent(overrides: Partial<ReceivedEvent> = {}): ReceivedEvent {
  clock += 1;
  const at = new Date(clock).toISOString();
  return {
    id: crypto.randomUUID(),
    occurred: at,
    received: at,
    event: 'animal.walked',
    resource: { 'prefect.resource.id': 'woodchuck.1', genus: 'Marmota' },
    related: [],
    payload: {},
    follows: null,
    ...overrides,
  };
}
