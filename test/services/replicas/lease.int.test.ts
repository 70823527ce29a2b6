// The lease that lets one process at a time route the outbox, on a real PostgreSQL: one holder at a time, handed over
// at once when given back, and taken over once a holder that stopped renewing (it died) lets it expire.
import { performance } from 'node:perf_hooks';
import { LeaseRepository, LeasesUnsupportedError } from '../../../db/leases';
import { createLogger } from '../../../services/logging/logger';
import { Lease } from '../../../services/replicas/lease';
import { createTestDb, type TestDb } from '../../helpers/db';
import { eventually } from '../../helpers/tripwire';

const logger = createLogger('silent');

describe('Lease', () => {
  let testDb: TestDb;
  let leases: LeaseRepository;
  const held: Lease[] = [];
  const lease = (name: string, owner: string, ttlMs: number, retryMs = 50) => {
    const made = new Lease(leases, name, owner, logger, { ttlMs, retryMs });
    held.push(made);
    return made;
  };

  beforeAll(async () => {
    testDb = await createTestDb('postgres');
    leases = new LeaseRepository(testDb.db);
  });
  afterEach(async () => {
    for (const one of held.splice(0)) await one.release();
  });
  afterAll(async () => {
    await testDb.drop();
  });

  it('is held by one process at a time and passes to another as soon as it is given back', async () => {
    const a = lease('one-holder', 'a', 5000);
    const b = lease('one-holder', 'b', 5000);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(a.holds()).toBe(true);
    expect(b.holds()).toBe(false);
    expect(await leases.holder('one-holder')).toMatchObject({ owner: 'a' });

    await a.release();
    expect(a.holds()).toBe(false);
    expect(await eventually(async () => ((await b.acquire()) ? true : undefined), 2000, 'b to take it')).toBe(true);
    expect(await a.acquire()).toBe(false);
  });

  it('is renewed by its holder for longer than its time to live', async () => {
    const a = lease('renewed', 'a', 600);
    const b = lease('renewed', 'b', 600);
    expect(await a.acquire()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(a.holds()).toBe(true);
    expect(await b.acquire()).toBe(false);
  });

  it('is taken over once a holder that stopped renewing lets it expire, and not before', async () => {
    // A holder that died: it took the lease and then never renewed it.
    expect(await leases.acquire('expiring', 'dead', 1500)).toBe(true);
    const started = performance.now();
    const b = lease('expiring', 'b', 1500);
    expect(await b.acquire()).toBe(false);
    await eventually(async () => ((await b.acquire()) ? true : undefined), 5000, 'the takeover');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1400);
    expect(await leases.holder('expiring')).toMatchObject({ owner: 'b' });
    expect(await leases.acquire('expiring', 'dead', 1500)).toBe(false);
  });

  it('stops being believed held, when it cannot be renewed, before another process can take it', async () => {
    // The holder loses the database after taking the lease: its renewals fail.
    let down = false;
    const flaky = {
      acquire: (name: string, owner: string, ttlMs: number) =>
        down ? Promise.reject(new Error('connection lost')) : leases.acquire(name, owner, ttlMs),
      release: (name: string, owner: string) => (down ? Promise.resolve() : leases.release(name, owner)),
    } as unknown as LeaseRepository;
    const a = new Lease(flaky, 'cut-off', 'a', logger, { ttlMs: 1200 });
    const b = lease('cut-off', 'b', 1200, 20);
    expect(await a.acquire()).toBe(true);
    down = true;
    let aStopped: number | undefined;
    let bTook: number | undefined;
    const deadline = performance.now() + 5000;
    while ((aStopped === undefined || bTook === undefined) && performance.now() < deadline) {
      // b asks first in each round, so a taking-over b is seen no later than it happened.
      if (bTook === undefined && (await b.acquire())) bTook = performance.now();
      if (aStopped === undefined && !a.holds()) aStopped = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(bTook).toBeDefined();
    expect(aStopped!).toBeLessThan(bTook!);
    await a.release();
  });

  it('is refused on SQLite, which serves one process', async () => {
    const sqlite = await createTestDb('sqlite');
    try {
      expect(() => new LeaseRepository(sqlite.db)).toThrow(LeasesUnsupportedError);
    } finally {
      await sqlite.drop();
    }
  });
});
