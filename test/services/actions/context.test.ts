// The template context of an action: the event members Prefect's models give templates, without changing the JSON.
import { templateContext } from '../../../services/actions/context';
import { renderRunParameters } from '../../../services/actions/run-parameters';
import type { ReceivedEvent } from '../../../core/events/schema';
import { renderTemplate } from '../../../templates/render';
import type { Firing } from '../../../core/triggers/schema';
import type { AutomationSnapshot } from '../../../workflows/messages';

const event: ReceivedEvent = {
  id: '0190b9c4-1d2e-7f00-8a3b-3c4d5e6f7a8b',
  occurred: '2026-01-01T00:00:00.000Z',
  received: '2026-01-01T00:00:00.100Z',
  event: 'prefect.flow-run.Completed',
  resource: { 'prefect.resource.id': 'prefect.flow-run.abc', 'prefect.resource.name': 'brave-otter' },
  related: [
    { 'prefect.resource.id': 'prefect.tag.a', 'prefect.resource.role': 'tag' },
    { 'prefect.resource.id': 'prefect.deployment.d1', 'prefect.resource.role': 'deployment' },
    { 'prefect.resource.id': 'prefect.tag.b', 'prefect.resource.role': 'tag' },
  ],
  payload: { n: 1 },
  follows: null,
};
const firing = { id: 'f', triggering_event: event, triggering_firings: [], triggering_labels: {} } as unknown as Firing;
const context = () => templateContext({ automation: { id: 'a', name: 'n' } as AutomationSnapshot, firing });

describe('action template context', () => {
  it.each([
    ['{{ event.resource.id }}', 'prefect.flow-run.abc'],
    ['{{ event.resource.name }}', 'brave-otter'],
    ['{{ event.related[1].role }}', 'deployment'],
    ["{{ event.resource_in_role['deployment'].id }}", 'prefect.deployment.d1'],
    ["{{ event.resources_in_role['tag'] | map(attribute='id') | join(',') }}", 'prefect.tag.a,prefect.tag.b'],
    ['{{ event.involved_resources | length }}', '4'],
    ['{{ events[0].resource.id }}', 'prefect.flow-run.abc'],
  ])('%s renders %s', (template, expected) => {
    expect(renderTemplate(template, context())).toBe(expected);
  });

  it('keeps the wire JSON of the event for {{ event }} and tojson', () => {
    expect(renderRunParameters({ whole: '{{ event }}' }, context(), renderTemplate).whole).toEqual(event);
    expect(JSON.parse(renderTemplate('{{ event | tojson }}', context()))).toEqual(event);
  });
});
