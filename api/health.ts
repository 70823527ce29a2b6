// Liveness and readiness. /healthz always answers (the process is alive) and reports each dependency;
// /readyz answers 503 while Temporal or the database is unreachable, so a load balancer stops sending traffic.
// Both also report figures such as the outbox's lag, which say how far behind tripwire is but not whether it can
// take requests: a growing outbox is ingest working while Temporal is slow, not a reason to turn senders away.
import Router from '@koa/router';

export interface DependencyCheck {
  name: string;
  check(): Promise<void>;
}

/** A figure reported beside the checks, under its name; a failure to read it is reported as `{error}`. */
export interface HealthReport {
  name: string;
  read(): Promise<Record<string, unknown>>;
}

interface CheckResult {
  reachable: boolean;
  latency_ms: number;
  error?: string;
}

/** Returns a router with GET /healthz and GET /readyz over `checks` and `reports` (each bounded by `timeoutMs`). */
export function healthRoutes(checks: DependencyCheck[], reports: HealthReport[] = [], timeoutMs = 3000): Router {
  const run = async () => {
    const results = await Promise.all(
      checks.map(async (dependency): Promise<[string, CheckResult]> => {
        const started = Date.now();
        const name = dependency.name;
        try {
          await withTimeout(dependency.check(), timeoutMs, `${name} did not answer within ${timeoutMs} ms`);
          return [name, { reachable: true, latency_ms: Date.now() - started }];
        } catch (error) {
          return [name, { reachable: false, latency_ms: Date.now() - started, error: (error as Error).message }];
        }
      }),
    );
    return Object.fromEntries(results);
  };
  const read = async () =>
    Object.fromEntries(
      await Promise.all(
        reports.map(async (report): Promise<[string, Record<string, unknown>]> => {
          try {
            return [report.name, await withTimeout(report.read(), timeoutMs, `no answer within ${timeoutMs} ms`)];
          } catch (error) {
            return [report.name, { error: (error as Error).message }];
          }
        }),
      ),
    );
  const router = new Router();
  router.get('/healthz', async (ctx) => {
    const [dependencies, figures] = await Promise.all([run(), read()]);
    const ok = Object.values(dependencies).every((d) => d.reachable);
    ctx.body = { status: ok ? 'ok' : 'degraded', ...dependencies, ...figures };
  });
  router.get('/readyz', async (ctx) => {
    const [dependencies, figures] = await Promise.all([run(), read()]);
    const ok = Object.values(dependencies).every((d) => d.reachable);
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'unavailable', ...dependencies, ...figures };
  });
  return router;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
