import { automationFilterSchema, filterAutomations, relatesTo } from '../../../services/automations/filter';
import type { AutomationRecord } from '../../../db/automations';

const automation = (name: string, created: string, tags: string[] = [], extra: Partial<AutomationRecord> = {}) =>
  ({
    id: `id-${name}`,
    name,
    description: '',
    enabled: true,
    trigger: { type: 'event' },
    actions: [],
    actions_on_trigger: [],
    actions_on_resolve: [],
    owner_resource: null,
    tags,
    workflow_id: `automation/${name}`,
    created,
    updated: created,
    ...extra,
  }) satisfies AutomationRecord;

const all = [
  automation('bravo', '2026-01-02T00:00:00.000Z', ['etl']),
  automation('alpha', '2026-01-03T00:00:00.000Z', ['etl', 'nightly']),
  automation('charlie', '2026-01-01T00:00:00.000Z', [], { updated: '2026-01-05T00:00:00.000Z' }),
];
const names = (filter: unknown) => filterAutomations(all, automationFilterSchema.parse(filter)).map((a) => a.name);

describe('filterAutomations (POST /automations/filter)', () => {
  it("defaults to Prefect's: every automation by name, up to 200", () => {
    expect(names(undefined)).toEqual(['alpha', 'bravo', 'charlie']);
    expect(automationFilterSchema.parse(undefined)).toMatchObject({ sort: 'NAME_ASC', limit: 200, offset: 0 });
    // What Prefect's read_automations() sends when given no arguments.
    expect(names({ automations: null, sort: null, limit: null, offset: 0 })).toEqual(['alpha', 'bravo', 'charlie']);
  });

  it('sorts as asked and pages by offset and limit', () => {
    expect(names({ sort: 'NAME_DESC' })).toEqual(['charlie', 'bravo', 'alpha']);
    expect(names({ sort: 'CREATED_DESC' })).toEqual(['alpha', 'bravo', 'charlie']);
    expect(names({ sort: 'UPDATED_DESC' })).toEqual(['charlie', 'alpha', 'bravo']);
    expect(names({ offset: 1, limit: 1 })).toEqual(['bravo']);
  });

  it('filters by any of several names, by creation before a time, and by tags', () => {
    expect(names({ automations: { name: { any_: ['charlie', 'alpha', 'nobody'] } } })).toEqual(['alpha', 'charlie']);
    expect(names({ automations: { created: { before_: '2026-01-02T12:00:00+00:00' } } })).toEqual(['bravo', 'charlie']);
    expect(names({ automations: { tags: { all_: ['etl', 'nightly'] } } })).toEqual(['alpha']);
    expect(names({ automations: { tags: { is_null_: true } } })).toEqual(['charlie']);
    expect(names({ automations: { name: null, tags: { all_: null } } })).toEqual(['alpha', 'bravo', 'charlie']);
  });

  it('rejects what Prefect rejects: an unknown sort, a limit over 200, a negative offset', () => {
    for (const bad of [{ sort: 'NEWEST' }, { limit: 201 }, { offset: -1 }]) {
      expect(automationFilterSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('relatesTo (GET /automations/related-to/<resource>)', () => {
  const runs = (deploymentId: string) => ({ type: 'run-deployment', source: 'selected', deployment_id: deploymentId });

  it('relates an automation to its owner and to the deployments its actions run', () => {
    const owned = automation('owned', '2026-01-01T00:00:00.000Z', [], { owner_resource: 'prefect.deployment.d1' });
    const running = automation('running', '2026-01-01T00:00:00.000Z', [], { actions_on_resolve: [runs('d2')] });
    expect(relatesTo(owned, 'prefect.deployment.d1')).toBe(true);
    expect(relatesTo(running, 'prefect.deployment.d2')).toBe(true);
    expect(relatesTo(running, 'prefect.deployment.d1')).toBe(false);
    expect(
      relatesTo(automation('other', '2026-01-01T00:00:00.000Z', [], { actions: [{ type: 'do-nothing' }] }), 'x'),
    ).toBe(false);
  });
});
