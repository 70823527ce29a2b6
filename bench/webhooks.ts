// Webhook ingress throughput and latency for the seed's dynamic template (form POST → render → validate → store),
// against a bare Koa endpoint answering 204, measured in the same run on the same machine.
import http from 'node:http';
import Koa from 'koa';
import { buildApp, listen } from '../api/server';
import { benchServices, fmt, load, table } from './harness';

const TEMPLATE = `{
    "event": "model.refreshed",
    "resource": {
        "prefect.resource.id": "product.models.{{ body.model }}",
        "prefect.resource.name": "{{ body.friendly_name }}",
        "producing-team": "Data Science"
    }
}`;
const BODY = 'model=recommendations&friendly_name=Recommendations%20%5BProducts%5D';
const HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

export async function benchWebhooks(
  seconds = Number(process.env.BENCH_SECONDS ?? 10),
  connections = 32,
): Promise<void> {
  const bare = new Koa();
  bare.use((ctx) => {
    ctx.status = 204;
  });
  const handleBare = bare.callback();
  const bareServer = http.createServer((req, res) => void handleBare(req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => bareServer.once('listening', resolve));
  const barePort = (bareServer.address() as { port: number }).port;

  const { services, cleanup } = await benchServices();
  const webhook = await services.webhookService.create({
    name: 'bench',
    description: '',
    template: TEMPLATE,
    enabled: true,
  });
  const tripwire = await listen(buildApp(services), '127.0.0.1', 0);

  // Warm both up (JIT, template cache, SQLite pages) before measuring.
  await load(`http://127.0.0.1:${barePort}/`, { seconds: 2, connections, body: BODY, headers: HEADERS });
  await load(`${tripwire.url}/hooks/${webhook.slug}`, { seconds: 2, connections, body: BODY, headers: HEADERS });
  const baseline = await load(`http://127.0.0.1:${barePort}/`, { seconds, connections, body: BODY, headers: HEADERS });
  const hooks = await load(`${tripwire.url}/hooks/${webhook.slug}`, {
    seconds,
    connections,
    body: BODY,
    headers: HEADERS,
  });
  const stored = (await services.events.list({ event: ['model.refreshed'] }, 1)).length;

  process.stdout.write(`\nwebhooks: ${seconds}s per run, ${connections} connections, SQLite, dynamic template\n`);
  table([
    ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'],
    [
      'bare Koa 204 (baseline)',
      fmt(baseline.rps),
      fmt(baseline.p50, 1),
      fmt(baseline.p99, 1),
      baseline.errors,
      baseline.non2xx,
    ],
    ['tripwire /hooks/:slug', fmt(hooks.rps), fmt(hooks.p50, 1), fmt(hooks.p99, 1), hooks.errors, hooks.non2xx],
  ]);
  process.stdout.write(
    `ratio tripwire/baseline: ${fmt(hooks.rps / baseline.rps, 2)} (goal ≥ 0.50); events stored: ${stored > 0 ? 'yes' : 'NO'}\n`,
  );

  await tripwire.close();
  bareServer.close();
  await cleanup();
}

if (require.main === module) {
  benchWebhooks().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
