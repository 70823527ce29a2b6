// Wake-ups between processes on a real PostgreSQL: a notification reaches the other processes (not the sender), a
// change to the automations notifies by itself (migration 0008's trigger), and a listener whose connection is cut
// reconnects and calls its handlers once, since what was sent meanwhile is lost.
import pg from 'pg';
import { AutomationRepository } from '../../../db/automations';
import { createLogger } from '../../../services/logging/logger';
import { AUTOMATIONS_CHANNEL, DbNotifications } from '../../../services/replicas/notifications';
import { createTestDb, type TestDb } from '../../helpers/db';
import { eventually } from '../../helpers/tripwire';

describe('DbNotifications', () => {
  let testDb: TestDb;
  const opened: DbNotifications[] = [];
  const open = () => {
    const notifications = new DbNotifications(testDb.databaseUrl!, createLogger('silent'));
    opened.push(notifications);
    return notifications;
  };
  /** Listens on `channel` and returns the count of calls so far, read through the returned function. */
  const counter = (notifications: DbNotifications, channel: string) => {
    let calls = 0;
    notifications.listen(channel, () => (calls += 1));
    return () => calls;
  };
  const listening = async (channel: string, processes: number) =>
    eventually(
      async () => {
        const client = new pg.Client({ connectionString: testDb.databaseUrl });
        await client.connect();
        try {
          const { rows } = await client.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity where datname = current_database() and query = $1`,
            [`listen ${channel}`],
          );
          return rows[0]!.n >= processes ? true : undefined;
        } finally {
          await client.end();
        }
      },
      10_000,
      `${processes} listeners on ${channel}`,
    );

  beforeAll(async () => {
    testDb = await createTestDb('postgres');
  });
  afterEach(async () => {
    for (const notifications of opened.splice(0)) await notifications.close();
  });
  afterAll(async () => {
    await testDb.drop();
  });

  it('wakes the other processes, not the one that notified', async () => {
    const a = open();
    const b = open();
    const heardByA = counter(a, 'tripwire_test');
    const heardByB = counter(b, 'tripwire_test');
    await listening('tripwire_test', 2);
    const afterConnect = [heardByA(), heardByB()];
    a.notify('tripwire_test');
    await eventually(async () => (heardByB() > afterConnect[1]! ? true : undefined), 5000, 'b to hear it');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heardByA()).toBe(afterConnect[0]);
  });

  it('is notified by the database itself when the automations change', async () => {
    const a = open();
    const heard = counter(a, AUTOMATIONS_CHANNEL);
    await listening(AUTOMATIONS_CHANNEL, 1);
    const before = heard();
    const now = new Date().toISOString();
    await new AutomationRepository(testDb.db).create({
      id: 'n1',
      name: 'n1',
      description: '',
      enabled: true,
      trigger: { type: 'event' },
      actions: [],
      actions_on_trigger: [],
      actions_on_resolve: [],
      owner_resource: null,
      tags: [],
      workflow_id: 'automation/n1',
      created: now,
      updated: now,
    });
    await eventually(async () => (heard() > before ? true : undefined), 5000, 'the notification');
    expect(await new AutomationRepository(testDb.db).version()).toBe(1);
  });

  it('reconnects after losing its connection, and calls its handlers once in case it missed something', async () => {
    const a = open();
    const b = open();
    const heard = counter(a, 'tripwire_cut');
    await listening('tripwire_cut', 1);
    const before = heard();
    const admin = new pg.Client({ connectionString: testDb.databaseUrl });
    await admin.connect();
    try {
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = $1`,
        ['listen tripwire_cut'],
      );
    } finally {
      await admin.end();
    }
    await eventually(async () => (heard() > before ? true : undefined), 10_000, 'the reconnect');
    await listening('tripwire_cut', 1);
    const reconnected = heard();
    b.notify('tripwire_cut');
    await eventually(async () => (heard() > reconnected ? true : undefined), 5000, 'a notification after it');
  });
});
