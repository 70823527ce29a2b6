import { openDb } from '../../db/connect';
import { type WebhookRecord, WebhookRepository } from '../../db/webhooks';
import { createTestDb, DIALECTS, type TestDb } from '../helpers/db';

describe.each(DIALECTS)('WebhookRepository on %s', (dialect) => {
  let t: TestDb;
  let webhooks: WebhookRepository;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    webhooks = new WebhookRepository(t.db);
  });
  afterAll(() => t.drop());

  it('creates, finds by id and slug, updates partially and deletes', async () => {
    const record = {
      id: '6f0b5c3e-52a4-4b8a-9d55-0b1c7f3c8a11',
      name: 'model refreshed',
      description: '',
      template: '{"event": "x", "resource": {"prefect.resource.id": "y"}}',
      enabled: true,
      slug: 'slug-a',
      verification: { type: 'github' as const, secret: 's3cret' },
      handshakes: [],
      created: '2026-01-01T00:00:00.000Z',
      updated: '2026-01-01T00:00:00.000Z',
    };
    await webhooks.create(record);
    expect(await webhooks.get(record.id)).toEqual(record);
    expect(await webhooks.getBySlug('slug-a')).toEqual(record);

    const updated = await webhooks.update(record.id, { enabled: false, slug: 'slug-b' }, '2026-01-02T00:00:00.000Z');
    expect(updated).toMatchObject({
      enabled: false,
      slug: 'slug-b',
      name: 'model refreshed',
      updated: '2026-01-02T00:00:00.000Z',
    });
    expect(await webhooks.getBySlug('slug-a')).toBeUndefined();
    expect(await webhooks.update('00000000-0000-0000-0000-000000000000', { name: 'x' }, 'now')).toBeUndefined();

    // Not toThrow(): better-sqlite3's native error class belongs to the realm of the first test file that loaded it.
    await expect(webhooks.create({ ...record, id: 'other', slug: 'slug-b' })).rejects.toHaveProperty(
      'message',
      expect.stringMatching(/unique/i),
    );
    expect(await webhooks.delete(record.id)).toBe(true);
    expect(await webhooks.delete(record.id)).toBe(false);
    expect(await webhooks.list()).toEqual([]);
  });

  it('stops serving a slug at once when it changes, here or through another connection', async () => {
    const record: WebhookRecord = {
      id: '0d1c9a52-7b1e-4a43-8a8f-4f2f0a2b7c19',
      name: 'cached',
      description: '',
      template: '{}',
      enabled: true,
      slug: 'slug-cached',
      verification: null,
      handshakes: [],
      created: '2026-01-01T00:00:00.000Z',
      updated: '2026-01-01T00:00:00.000Z',
    };
    await webhooks.create(record);
    expect(await webhooks.getBySlug('slug-cached')).toEqual(record);
    expect(await webhooks.getBySlug('slug-cached')).toEqual(record); // now served from the cache on SQLite

    // Another process rotating the slug (its own connection to the same database).
    const other = openDb({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
    try {
      await new WebhookRepository(other).update(record.id, { slug: 'slug-rotated' }, '2026-01-02T00:00:00.000Z');
    } finally {
      await other.close();
    }
    expect(await webhooks.getBySlug('slug-cached')).toBeUndefined();
    expect(await webhooks.getBySlug('slug-rotated')).toMatchObject({ id: record.id, slug: 'slug-rotated' });

    await webhooks.update(record.id, { enabled: false }, '2026-01-03T00:00:00.000Z');
    expect(await webhooks.getBySlug('slug-rotated')).toMatchObject({ enabled: false });
    await webhooks.delete(record.id);
    expect(await webhooks.getBySlug('slug-rotated')).toBeUndefined();
  });
});
