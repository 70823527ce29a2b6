// docker-compose.yml cannot be run here (no Docker engine), so it is checked two ways: parsed and its wiring asserted,
// and validated by `docker-compose config` when that tool is installed (.ci/run installs Debian's).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { envSchema } from '../services/config/env';
import { TRIPWIRE_DYNAMIC_CONFIG } from '../services/temporal/dev-server';

const file = path.resolve(__dirname, '..', 'docker-compose.yml');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(fs.readFileSync(file, 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const services = compose.services;

  it('brings up PostgreSQL, Temporal on PostgreSQL, the Temporal UI, and tripwire api and worker', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
    expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(services['temporal-ui']!.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233' });
  });

  it('gives Temporal the dynamic config the embedded dev server runs with', () => {
    const temporal = services.temporal!;
    const target = `/etc/temporal/${String(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH)}`;
    const mount = temporal.volumes?.find((volume) => volume.split(':')[1] === target);
    expect(mount).toBeDefined();
    const config = parse(fs.readFileSync(path.resolve(__dirname, '..', mount!.split(':')[0]!), 'utf8')) as Record<
      string,
      { value: unknown }[]
    >;
    expect(Object.fromEntries(Object.entries(config).map(([key, [entry]]) => [key, entry!.value]))).toEqual(
      TRIPWIRE_DYNAMIC_CONFIG,
    );
  });

  it('gives every service a health check and starts each after what it needs is healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'temporal-ui') expect(service.healthcheck?.test.length).toBeGreaterThan(0);
    }
    expect(services.temporal!.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services.api!.depends_on).toMatchObject({
      postgresql: { condition: 'service_healthy' },
      temporal: { condition: 'service_healthy' },
    });
    expect(services.worker!.depends_on).toMatchObject({ api: { condition: 'service_healthy' } });
  });

  it('wires tripwire to Temporal and PostgreSQL with variables tripwire actually reads', () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const name of ['api', 'worker']) {
      const env = services[name]!.environment!;
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(String(env.DATABASE_URL)).toMatch(/^postgres:\/\/tripwire:.*@postgresql:5432\/tripwire$/);
      for (const key of Object.keys(env)) expect(known.has(key)).toBe(true);
    }
    expect(services.api!.command).toEqual(['node', 'dist/api/main.js']);
    expect(services.worker!.command).toEqual(['node', 'dist/worker/main.js']);
    expect(fs.existsSync(path.resolve(__dirname, '..', 'api', 'main.ts'))).toBe(true);
    expect(fs.existsSync(path.resolve(__dirname, '..', 'worker', 'main.ts'))).toBe(true);
    expect(Object.keys(compose.volumes).sort()).toEqual(['postgres-data', 'tripwire-data']);
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  (dockerCompose.status === 0 ? it : it.skip)('passes `docker-compose config`', () => {
    const output = execFileSync('docker-compose', ['-f', file, 'config'], {
      env: { ...process.env, POSTGRES_PASSWORD: 'pw', TRIPWIRE_API_KEY: 'key' },
      encoding: 'utf8',
    });
    expect(output).toContain('postgres://tripwire:pw@postgresql:5432/tripwire');
  });

  it('refuses to start without the required secrets', () => {
    if (dockerCompose.status !== 0) return;
    const result = spawnSync('docker-compose', ['-f', file, 'config', '-q'], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/POSTGRES_PASSWORD/);
  });
});
