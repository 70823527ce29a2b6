// Liveness and readiness. /healthz always answers (the process is alive) and reports each dependency;
// /readyz answers 503 while Temporal or the database is unreachable, so a load balancer stops sending traffic.
import Router from '@koa/router';

export interface DependencyCheck {
  name: string;
  check(): Promise<void>;
}

interface CheckResult {
  reachable: boolean;
  latency_ms: number;
  error?: string;
}

/** Returns a router with GET /healthz and GET /readyz over `checks` (each bounded by `timeoutMs`). */
export function healthRoutes(checks: DependencyCheck[], timeoutMs = 3000): Router {
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
  const router = new Router();
  router.get('/healthz', async (ctx) => {
    const dependencies = await run();
    const ok = Object.values(dependencies).every((d) => d.reachable);
    ctx.body = { status: ok ? 'ok' : 'degraded', ...dependencies };
  });
  router.get('/readyz', async (ctx) => {
    const dependencies = await run();
    const ok = Object.values(dependencies).every((d) => d.reachable);
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'unavailable', ...dependencies };
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
