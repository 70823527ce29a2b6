// Prefect's test animals (tests/events/server/conftest.py), as tripwire events.
import type { RelatedResource, ReceivedEvent, Resource } from '../../../core/events/schema';

const OCCURRED = '2024-01-31T12:00:00.000001Z';

function received(event: string, resource: Resource, related: RelatedResource[] = []): ReceivedEvent {
  return {
    occurred: OCCURRED,
    event,
    resource,
    related,
    payload: {},
    id: '018d6a2e-0000-7000-8000-000000000001',
    follows: null,
    received: OCCURRED,
  };
}

const woodchonk: Resource = {
  kingdom: 'Animalia',
  phylum: 'Chordata',
  class: 'Mammalia',
  order: 'Rodentia',
  family: 'Sciuridae',
  genus: 'Marmota',
  species: 'monax',
  'prefect.resource.id': 'woodchonk',
};

/** A spider walked (matches arachnophobia). */
export const daddyLongLegsWalked = received('animal.walked', {
  kingdom: 'Animalia',
  phylum: 'Arthropoda',
  class: 'Arachnida',
  order: 'Araneae',
  family: 'Pholcidae',
  genus: 'Pholcus',
  species: 'phalangioides',
  'prefect.resource.id': 'daddy-long-legs',
});

/** A woodchuck walked. */
export const woodchonkWalked = received('animal.walked', woodchonk);

/** A woodchuck ate a lily and a tulip. */
export const woodchonkNibbled = received('animal.ingested', woodchonk, [
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
]);

/** A woodchuck ate a bleeding heart and a daffodil. */
export const woodchonkGobbled = received('animal.ingested', woodchonk, [
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
]);

/** tests/events/server/test_events_schema.py `example_event`: two role-1 resources and a decoy primary label. */
export const exampleEvent = received(
  'hello',
  { 'prefect.resource.id': 'hello', name: 'Hello!', 'related:psychout:name': 'Psych!' },
  [
    { 'prefect.resource.id': 'related-1', 'prefect.resource.role': 'role-1', name: 'Related 1' },
    { 'prefect.resource.id': 'related-2', 'prefect.resource.role': 'role-1', name: 'Related 2' },
    { 'prefect.resource.id': 'related-3', 'prefect.resource.role': 'role-2', name: 'Related 3' },
  ],
);
