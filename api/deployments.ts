// /api/deployments and /api/flow-runs — register deployments (create or replace by name, with their triggers), start
// runs, and read or cancel flow runs. Flow run JSON uses Prefect's field names.
import Router from '@koa/router';
import { z } from 'zod';
import { nonNegativeDuration } from '../core/automations/action-schema';
import type { DeploymentService } from '../services/deployments/deployment-service';
import type { FlowRunRecords } from '../services/deployments/flow-run-records';
import type { FlowRunStarter } from '../services/deployments/flow-run-starter';
import { deploymentSchema } from '../core/deployments/schema';
import { TripwireError } from '../core/errors';
import { flowRunView, type TemporalLinks } from './flow-run-view';
import { parseWith, readJson } from './input';

const runRequestSchema = z
  .object({
    parameters: z.record(z.string(), z.unknown()).default({}),
    schedule_after: nonNegativeDuration.default(0),
    idempotency_key: z.string().min(1).max(500).optional(),
  })
  .strict();

/** Returns the routers of /deployments and /flow-runs (mounted under /api). */
export function deploymentRoutes(
  deployments: DeploymentService,
  flowRuns: FlowRunStarter,
  records: FlowRunRecords,
  baseDir: string,
  links: TemporalLinks,
): Router[] {
  const view = (run: Parameters<typeof flowRunView>[0]) => flowRunView(run, links);
  const router = new Router({ prefix: '/deployments' });
  const find = async (name: string) => {
    const deployment = await deployments.find(name);
    if (!deployment) throw new TripwireError('NOT_FOUND', `Deployment '${name}' not found.`);
    return deployment;
  };

  router.post('/', async (ctx) => {
    const input = parseWith(deploymentSchema, await readJson(ctx), 'deployment');
    const existed = await deployments.find(input.name);
    const { deployment, automations } = await deployments.apply(input, baseDir);
    ctx.status = existed ? 200 : 201;
    ctx.body = { ...deployment, automations };
  });
  router.get('/', async (ctx) => {
    ctx.body = await deployments.list(typeof ctx.query.work_pool === 'string' ? ctx.query.work_pool : undefined);
  });
  router.get('/:name', async (ctx) => {
    ctx.body = await find(ctx.params.name!);
  });
  router.delete('/:name', async (ctx) => {
    if (!(await deployments.delete(ctx.params.name!)))
      throw new TripwireError('NOT_FOUND', `Deployment '${ctx.params.name}' not found.`);
    ctx.status = 204;
  });
  router.post('/:name/runs', async (ctx) => {
    const deployment = await find(ctx.params.name!);
    const body = ctx.get('content-length') === '0' || !ctx.get('content-type') ? {} : await readJson(ctx);
    const request = parseWith(runRequestSchema, body, 'run request');
    const { run, created } = await deployments.run(deployment, {
      parameters: request.parameters,
      scheduleAfterSeconds: request.schedule_after,
      idempotencyKey: request.idempotency_key,
      createdBy: { type: 'USER', id: null, display_value: 'api' },
    });
    ctx.status = created ? 201 : 200;
    ctx.body = view(run);
  });

  const runs = new Router({ prefix: '/flow-runs' });
  runs.get('/', async (ctx) => {
    const deploymentName = typeof ctx.query.deployment === 'string' ? ctx.query.deployment : undefined;
    const deploymentId = deploymentName ? (await find(deploymentName)).id : undefined;
    ctx.body = (
      await records.list({
        deploymentId,
        stateNames: queryList(ctx.query.state),
        stateType: typeof ctx.query.state_type === 'string' ? ctx.query.state_type : undefined,
        limit: runLimit(ctx.query.limit),
      })
    ).map(view);
  });
  runs.get('/:id', async (ctx) => {
    const run = await records.get(ctx.params.id!);
    if (!run) throw new TripwireError('NOT_FOUND', `Flow run '${ctx.params.id}' not found.`);
    ctx.body = view(run);
  });
  runs.post('/:id/cancel', async (ctx) => {
    const run = await flowRuns.cancel(ctx.params.id!);
    if (!run) throw new TripwireError('NOT_FOUND', `Flow run '${ctx.params.id}' not found.`);
    ctx.body = view(run);
  });
  return [router, runs];
}

/** A query parameter given once, several times, or as a comma-separated list; empty when absent. */
function queryList(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value])
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

const MAX_RUNS = 1000;

/** The `limit` of a run listing: 200 when absent, else a whole number from 1 to MAX_RUNS. */
function runLimit(value: string | string[] | undefined): number {
  if (value === undefined) return 200;
  const limit = Number(Array.isArray(value) ? value[0] : value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RUNS)
    throw new TripwireError('BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_RUNS}`);
  return limit;
}
