// The registry's routing index gives exactly the automations whose triggers cover an event: the same answer as
// testing every automation, whichever mix of literal ids, globs, negations and catch-alls the triggers use.
import { AutomationRegistry } from '../../../services/automations/registry';
import { coversEvent } from '../../../core/automations/covers';
import type { AutomationRecord, AutomationRepository } from '../../../db/automations';
import type { Event } from '../../../core/events/schema';
import { createLogger } from '../../../services/logging/logger';
import { triggerSchema } from '../../../core/triggers/schema';
import type { Trigger } from '../../../core/triggers/schema';

const leaf = (match: Record<string, string | string[]>, expect: string[] = ['ping']) => ({
  type: 'event',
  posture: 'Reactive',
  match,
  expect,
  threshold: 1,
  within: 0,
});

const definitions: Record<string, unknown> = {
  literal: leaf({ 'prefect.resource.id': 'res.a' }),
  list: leaf({ 'prefect.resource.id': ['res.a', 'res.b'] }),
  glob: leaf({ 'prefect.resource.id': 'res.*' }),
  negated: leaf({ 'prefect.resource.id': '!res.a' }),
  noResource: leaf({ 'prefect.resource.name': 'named' }),
  otherName: leaf({ 'prefect.resource.id': 'res.a' }, ['pong']),
  catchAllNames: leaf({ 'prefect.resource.id': 'res.c' }, []),
  emptyList: leaf({ 'prefect.resource.id': [] }),
  compoundMixed: {
    type: 'compound',
    require: 'any',
    within: 60,
    triggers: [leaf({ 'prefect.resource.id': 'res.b' }), leaf({ 'prefect.resource.id': 'other.*' })],
  },
  compoundLiteral: {
    type: 'sequence',
    within: 60,
    triggers: [leaf({ 'prefect.resource.id': 'res.c' }), leaf({ 'prefect.resource.id': 'res.d' }, ['pong'])],
  },
};

const record = (id: string, trigger: unknown): AutomationRecord => ({
  id,
  name: id,
  description: '',
  enabled: true,
  trigger: triggerSchema.parse(trigger),
  actions: [{ type: 'do-nothing' }],
  actions_on_trigger: [],
  actions_on_resolve: [],
  owner_resource: null,
  tags: [],
  workflow_id: `automation/${id}`,
  created: '2026-01-01T00:00:00.000Z',
  updated: '2026-01-01T00:00:00.000Z',
});

const event = (name: string, resource: Record<string, string>): Event => ({
  id: '00000000-0000-4000-8000-000000000000',
  occurred: '2026-01-01T00:00:00.000Z',
  event: name,
  resource: { 'prefect.resource.id': 'unset', ...resource },
  related: [],
  payload: {},
  follows: null,
});

function registryOf(records: AutomationRecord[]): AutomationRegistry {
  const registry = new AutomationRegistry({} as AutomationRepository, createLogger('silent'));
  registry.load(records);
  return registry;
}

const events = ['ping', 'pong', 'other'].flatMap((name) =>
  ['res.a', 'res.b', 'res.c', 'res.d', 'other.x', 'elsewhere'].flatMap((id) => [
    event(name, { 'prefect.resource.id': id }),
    event(name, { 'prefect.resource.id': id, 'prefect.resource.name': 'named' }),
  ]),
);

describe('AutomationRegistry routing', () => {
  const everything = Object.entries(definitions).map(([id, trigger]) => record(id, trigger));

  it.each([
    ['every kind of trigger at once', everything],
    [
      'only triggers naming literal resource ids',
      everything.filter((r) =>
        ['literal', 'list', 'otherName', 'catchAllNames', 'emptyList', 'compoundLiteral'].includes(r.id),
      ),
    ],
    [
      'only triggers taking any resource',
      everything.filter((r) => ['glob', 'negated', 'noResource', 'compoundMixed'].includes(r.id)),
    ],
  ])('gives the same automations as testing each one (%s)', (_, records) => {
    const registry = registryOf(records);
    for (const e of events) {
      const expected = records.filter((r) => coversEvent(r.trigger as Trigger, e)).map((r) => r.id);
      const found = registry.candidates(e).map((routed) => routed.snapshot.id);
      expect({ event: e.event, resource: e.resource, found: found.sort() }).toEqual({
        event: e.event,
        resource: e.resource,
        found: expected.sort(),
      });
      expect(registry.mayRoute(e)).toBe(expected.length > 0);
    }
  });

  it('routes a hundred automations that share an event name by their resource', () => {
    const records = Array.from({ length: 100 }, (_, i) => record(`a${i}`, leaf({ 'prefect.resource.id': `res.${i}` })));
    const registry = registryOf(records);
    expect(registry.candidates(event('ping', { 'prefect.resource.id': 'res.42' })).map((r) => r.snapshot.id)).toEqual([
      'a42',
    ]);
    expect(registry.candidates(event('pong', { 'prefect.resource.id': 'res.42' }))).toEqual([]);
    expect(registry.mayRoute(event('ping', { 'prefect.resource.id': 'res.100' }))).toBe(false);
  });
});
