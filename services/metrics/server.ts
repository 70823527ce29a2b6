// The worker process has no HTTP API; when TRIPWIRE_WORKER_METRICS_PORT is set it serves its /metrics (its actions,
// firings and the Temporal SDK's worker metrics) on a port of its own, behind the same keys as the API's /metrics.
import http from 'node:http';
import { apiKeyMatcher } from '../config/api-key';
import type { Metrics } from './metrics';

/** Who may read /metrics: the API key, a key of its own, or anyone. */
export interface MetricsAccess {
  /** Keys accepted as `Authorization: Bearer <key>` (or Basic with the key as the password). */
  keys: string[];
  public: boolean;
}

/** Who may read /metrics, as the configuration says: the API key, TRIPWIRE_METRICS_KEY, or anyone. */
export function metricsAccess(apiKey: string, config: { metrics: { key: string | undefined; public: boolean } }) {
  const { key, public: open } = config.metrics;
  return { keys: [apiKey, ...(key ? [key] : [])], public: open } satisfies MetricsAccess;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics on `host:port` (0 picks a free port); `keys` may read it, or anyone when `open`. */
export async function serveMetrics(
  metrics: Metrics,
  host: string,
  port: number,
  access: MetricsAccess,
): Promise<MetricsServer> {
  const matchers = access.keys.map(apiKeyMatcher);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!access.public && !matchers.some((matches) => matches(req.headers.authorization ?? ''))) {
      res
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="tripwire metrics"' })
        .end('send "Authorization: Bearer <key>" (the API key or the metrics key)\n');
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? '' : text),
      (error: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
