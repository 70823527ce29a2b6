// docker-compose.yml cannot be run here (no Docker engine), so it is checked two ways: parsed and its wiring asserted,
// and validated by `docker-compose config` when that tool is installed (.ci/run installs Debian's).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { envSchema } from '../services/config/env';
import { Metrics } from '../services/metrics/metrics';
import { TRIPWIRE_DYNAMIC_CONFIG } from '../services/temporal/dev-server';

const file = path.resolve(__dirname, '..', 'docker-compose.yml');

interface Service {
  image?: string;
  profiles?: string[];
  entrypoint?: string[];
  container_name?: string;
  expose?: string[];
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

  const observability = ['grafana', 'jaeger', 'prometheus'];

  it('brings up PostgreSQL, Temporal on PostgreSQL, the Temporal UI, and tripwire api and worker behind a proxy', () => {
    const always = Object.keys(services).filter((name) => !services[name]!.profiles);
    expect(always.sort()).toEqual(['api', 'postgresql', 'proxy', 'temporal', 'temporal-ui', 'worker']);
    for (const name of observability) expect(services[name]!.profiles).toEqual(['observability']);
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

  it('scales the api and the worker (`--scale api=3 --scale worker=2`), with the proxy as the one way in', () => {
    for (const name of ['api', 'worker']) {
      // A fixed container name or host port would make a second replica fail to start.
      expect(services[name]!.container_name).toBeUndefined();
      expect(services[name]!.ports).toBeUndefined();
    }
    expect(services.api!.expose).toEqual(['4200']);
    const proxy = services.proxy!;
    expect(proxy.ports).toEqual(['${TRIPWIRE_PORT:-4200}:4200']);
    expect(proxy.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    const mount = proxy.volumes?.find((volume) => volume.split(':')[1] === '/etc/caddy/Caddyfile');
    expect(mount).toBeDefined();
    const caddyfile = fs.readFileSync(path.resolve(__dirname, '..', mount!.split(':')[0]!), 'utf8');
    // Every replica, found again as replicas come and go: Docker's DNS answers the service name with all of them.
    expect(caddyfile).toMatch(/^\s*dynamic a api 4200 \{$/m);
    expect(caddyfile).toMatch(/^\s*refresh \d+s$/m);
    expect(caddyfile).toMatch(/^\s*flush_interval -1$/m);
    // TRIPWIRE_PUBLIC_URL (the URL in webhook links) points at the proxy's port by default.
    expect(String(services.api!.environment!.TRIPWIRE_PUBLIC_URL)).toBe(
      '${TRIPWIRE_PUBLIC_URL:-http://localhost:4200}',
    );
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
    expect(Object.keys(compose.volumes).sort()).toEqual([
      'grafana-data',
      'postgres-data',
      'prometheus-data',
      'tripwire-data',
    ]);
  });

  it("has Prometheus scrape every api and worker replica's /metrics with the metrics key", () => {
    expect(services.worker!.environment).toMatchObject({ HOST: '0.0.0.0', TRIPWIRE_WORKER_METRICS_PORT: 9464 });
    expect(services.api!.environment).toMatchObject({ TRIPWIRE_METRICS_KEY: '${TRIPWIRE_METRICS_KEY:-}' });
    const prometheus = services.prometheus!;
    const mount = prometheus.volumes!.find((volume) => volume.endsWith(':/etc/prometheus/prometheus.yml:ro'))!;
    const config = parse(fs.readFileSync(path.resolve(__dirname, '..', mount.split(':')[0]!), 'utf8')) as {
      scrape_configs: {
        job_name: string;
        authorization: { credentials_file: string };
        dns_sd_configs: { names: string[]; port: number }[];
      }[];
    };
    const targets = config.scrape_configs.map((job) => [job.dns_sd_configs[0]!.names[0], job.dns_sd_configs[0]!.port]);
    expect(targets).toEqual([
      ['api', services.api!.environment!.PORT],
      ['worker', services.worker!.environment!.TRIPWIRE_WORKER_METRICS_PORT],
    ]);
    for (const job of config.scrape_configs) {
      expect(prometheus.entrypoint!.join(' ')).toContain(`> ${job.authorization.credentials_file}`);
    }
  });

  it('provisions a Grafana dashboard that charts only metrics tripwire exports', async () => {
    const grafana = services.grafana!;
    const mount = grafana.volumes!.find((volume) => volume.includes(':/var/lib/grafana/dashboards/'))!;
    const dashboard = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', mount.split(':')[0]!), 'utf8')) as {
      panels: { type: string; targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    expect(exprs.length).toBeGreaterThan(15);
    const metrics = new Metrics();
    metrics.observeDatabase({
      outbox: async () => ({ size: 0, oldestEnqueuedAt: undefined }),
      activeFlowRuns: async () => ({}),
    });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name));
    const charted = new Set(exprs.flatMap((expr) => expr.match(/tripwire_[a-z_]+/g) ?? []));
    for (const name of charted) expect(exported).toContain(name.replace(/_(bucket|count|sum)$/, ''));
    for (const name of ['tripwire_webhook_requests_total', 'tripwire_outbox_events', 'tripwire_flow_runs']) {
      expect(charted).toContain(name);
    }
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  (dockerCompose.status === 0 ? it : it.skip)('passes `docker-compose config`', () => {
    const output = execFileSync('docker-compose', ['-f', file, 'config'], {
      env: { ...process.env, POSTGRES_PASSWORD: 'pw', TRIPWIRE_API_KEY: 'key' },
      encoding: 'utf8',
    });
    expect(output).toContain('postgres://tripwire:pw@postgresql:5432/tripwire');
    const resolved = parse(output) as { services: Record<string, Service> };
    expect(resolved.services.proxy).toBeDefined();
    expect(resolved.services.api!.ports).toBeUndefined();
    expect(resolved.services.worker!.ports).toBeUndefined();
    const observed = execFileSync('docker-compose', ['-f', file, '--profile', 'observability', 'config'], {
      env: { ...process.env, POSTGRES_PASSWORD: 'pw', TRIPWIRE_API_KEY: 'key' },
      encoding: 'utf8',
    });
    expect(parse(observed).services.prometheus.image).toMatch(/^prom\/prometheus:/);
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
