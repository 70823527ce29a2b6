import crypto from 'node:crypto';
import { loadConfig } from '../../services/config/env';
import { createLogger } from '../../services/logging/logger';
import { buildApp, listen } from '../../api/server';
import { withApiParts } from '../../api/wiring';
import { openCoreServices } from '../../services/wiring';
import { createTestDb } from '../helpers/db';
import { freePort } from '../helpers/ports';
import { readJson, startTestTripwire, type TestTripwire } from '../helpers/tripwire';

describe('health and the API key', () => {
  let tripwire: TestTripwire;
  beforeAll(async () => {
    tripwire = await startTestTripwire({ worker: false });
  });
  afterAll(() => tripwire.stop());

  it('GET /healthz reports Temporal and the database as reachable', async () => {
    const response = await fetch(`${tripwire.url}/healthz`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ status: 'ok', temporal: { reachable: true }, database: { reachable: true } });
  });

  it('GET /readyz is 200 while both answer', async () => {
    expect((await fetch(`${tripwire.url}/readyz`)).status).toBe(200);
  });

  it('answers 401 under /api without a key, with a wrong key, and for unknown /api paths', async () => {
    const missing = await fetch(`${tripwire.url}/api/webhooks`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await readJson(missing)).error.message).toMatch(/missing API key/);
    const wrong = await fetch(`${tripwire.url}/api/webhooks`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${tripwire.url}/api/does-not-exist`)).status).toBe(401);
  });

  it('lets the right key through', async () => {
    const response = await tripwire.api('GET', '/api/webhooks');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    expect((await tripwire.api('GET', '/api/does-not-exist')).status).toBe(404);
  });
});

describe('readiness while a dependency is down', () => {
  it('GET /readyz is 503 naming Temporal when Temporal does not answer, while /healthz stays 200', async () => {
    const testDb = await createTestDb('sqlite');
    const config = loadConfig({ TRIPWIRE_DATA_DIR: testDb.dataDir, TRIPWIRE_API_KEY: 'k', LOG_LEVEL: 'silent' });
    const services = withApiParts(
      await openCoreServices(config, createLogger('silent'), `127.0.0.1:${await freePort()}`),
    );
    const http = await listen(buildApp(services), '127.0.0.1', 0);
    try {
      const ready = await fetch(`${http.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = await readJson(ready);
      expect(body.temporal.reachable).toBe(false);
      expect(body.database.reachable).toBe(true);
      expect(body.outbox).toEqual({ depth: 0, oldest_age_ms: 0 });
      expect((await fetch(`${http.url}/healthz`)).status).toBe(200);

      // Events keep being accepted for the automations' workflows; the outbox holds them and /readyz shows the lag.
      const received = new Date(Date.now() - 5000).toISOString();
      const waiting = ['a', 'b', 'c'].map((name) => ({
        id: crypto.randomUUID(),
        occurred: received,
        received,
        event: `lag.${name}`,
        resource: { 'prefect.resource.id': 'lag.thing' },
        related: [],
        payload: {},
        follows: null,
      }));
      await services.events.insert(waiting, new Set(waiting.map((e) => e.id)));
      const lagging = await readJson(await fetch(`${http.url}/readyz`));
      expect(lagging.outbox.depth).toBe(3);
      expect(lagging.outbox.oldest_age_ms).toBeGreaterThanOrEqual(5000);
      expect((await readJson(await fetch(`${http.url}/healthz`))).outbox.depth).toBe(3);
    } finally {
      await http.close();
      await services.close();
      await testDb.drop();
    }
  });

  it('GET /readyz is 503 naming the database when PostgreSQL is unreachable', async () => {
    const testDb = await createTestDb('sqlite');
    const config = loadConfig({
      TRIPWIRE_DATA_DIR: testDb.dataDir,
      TRIPWIRE_API_KEY: 'k',
      LOG_LEVEL: 'silent',
      DATABASE_URL: `postgres://nobody@127.0.0.1:${await freePort()}/none`,
    });
    // Migrations need the database, so build the services against a working one, then point the check elsewhere.
    const services = withApiParts(
      await openCoreServices(
        { ...config, databaseUrl: undefined },
        createLogger('silent'),
        process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!,
      ),
    );
    const { openDb } = await import('../../db/connect');
    const unreachable = openDb({ databaseUrl: config.databaseUrl, dataDir: testDb.dataDir });
    const http = await listen(buildApp({ ...services, db: unreachable }), '127.0.0.1', 0);
    try {
      const ready = await fetch(`${http.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = await readJson(ready);
      expect(body.database.reachable).toBe(false);
      expect(body.database.error).toMatch(/ECONNREFUSED|connect/);
      expect(body.temporal.reachable).toBe(true);
    } finally {
      await http.close();
      await unreachable.close();
      await services.close();
      await testDb.drop();
    }
  });
});
