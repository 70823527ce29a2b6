import { sql } from 'kysely';
import { AutomationRepository, type AutomationRecord } from '../../db/automations';
import { migrate } from '../../db/migrations/index';
import { createTestDb, DIALECTS, type TestDb } from '../helpers/db';

const record = (id: string, tags: string[]): AutomationRecord => ({
  id,
  name: id,
  description: '',
  enabled: true,
  trigger: { type: 'event', posture: 'Reactive' },
  actions: [{ type: 'do-nothing' }],
  actions_on_trigger: [],
  actions_on_resolve: [],
  owner_resource: null,
  tags,
  workflow_id: `automation/${id}`,
  created: '2026-01-01T00:00:00.000Z',
  updated: '2026-01-01T00:00:00.000Z',
});

describe.each(DIALECTS)('AutomationRepository on %s', (dialect) => {
  let t: TestDb;
  let automations: AutomationRepository;

  beforeEach(async () => {
    t = await createTestDb(dialect);
    automations = new AutomationRepository(t.db);
  });
  afterEach(() => t.drop());

  it('keeps the tags of an automation through create and replace', async () => {
    await automations.create(record('a', ['etl', 'nightly']));
    expect((await automations.get('a'))?.tags).toEqual(['etl', 'nightly']);
    await automations.replace({ ...record('a', ['etl']), updated: '2026-01-02T00:00:00.000Z' });
    expect((await automations.list()).map((a) => a.tags)).toEqual([['etl']]);
  });

  it('gives automations stored before tags existed an empty list once migrated', async () => {
    // The database as 0002 left it: no tags column, and an automation in it.
    await sql`alter table automations drop column tags`.execute(t.db.kysely);
    await sql`alter table event_outbox drop column trace`.execute(t.db.kysely);
    await sql`delete from tripwire_migrations where name >= '0003'`.execute(t.db.kysely);
    await sql`insert into automations (id, name, description, enabled, trigger, actions, workflow_id, created, updated)
      values ('old', 'old', '', 1, '{"type":"event"}', '[]', 'automation/old', '2025-01-01T00:00:00.000Z',
      '2025-01-01T00:00:00.000Z')`.execute(t.db.kysely);

    expect(await migrate(t.db)).toEqual(['0003-automation-tags', '0004-sortable-occurred', '0005-outbox-trace']);
    expect((await automations.get('old'))?.tags).toEqual([]);
  });
});
