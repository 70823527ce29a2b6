// /api/deployments and /api/flow-runs — register deployments (create or replace by name, with their triggers), start
// runs, and read or cancel flow runs. Flow run JSON uses Prefect's field names.
import Router from '@koa/router';
import { z } from 'zod';
import { nonNegativeDuration } from '../core/automations/action-schema';
import type { FlowRunRecord } from '../db/flow-runs';
import type { DeploymentService } from '../services/deployments/deployment-service';
import type { FlowRunRecords } from '../services/deployments/flow-run-records';
import type { FlowRunStarter } from '../services/deployments/flow-run-starter';
import { deploymentSchema } from '../core/deployments/schema';
import { TripwireError } from '../core/errors';
import { parseWith, readJson } from './input';

const runRequestSchema = z
  .object({
    parameters: z.record(z.string(), z.unknown()).default({}),
    schedule_after: nonNegativeDuration.default(0),
    idempotency_key: z.string().min(1).max(500).optional(),
  })
  .strict();

/** Returns a flow run as the API shows it (Prefect's field names). */
export function flowRunView(run: FlowRunRecord) {
  return {
    id: run.id,
    name: run.name,
    deployment_id: run.deployment_id,
    flow_name: run.flow_name,
    work_pool_name: run.work_pool,
    parameters: run.parameters,
    state: { type: run.state.type, name: run.state.name, timestamp: run.state.timestamp, message: run.state.message },
    state_history: run.state_history.map((s) => ({
      type: s.type,
      name: s.name,
      timestamp: s.timestamp,
      message: s.message,
    })),
    expected_start_time: run.expected_start_time,
    start_time: run.start_time,
    end_time: run.end_time,
    ...(run.state.type === 'COMPLETED' ? { result: run.result } : {}),
    ...(run.error ? { error: run.error } : {}),
    created_by: run.created_by,
    tags: run.tags,
    idempotency_key: run.idempotency_key,
    created: run.created,
    updated: run.updated,
  };
}

/** Returns the routers of /deployments and /flow-runs (mounted under /api). */
export function deploymentRoutes(
  deployments: DeploymentService,
  flowRuns: FlowRunStarter,
  records: FlowRunRecords,
  baseDir: string,
): Router[] {
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
    ctx.body = flowRunView(run);
  });

  const runs = new Router({ prefix: '/flow-runs' });
  runs.get('/', async (ctx) => {
    const deploymentName = typeof ctx.query.deployment === 'string' ? ctx.query.deployment : undefined;
    const deploymentId = deploymentName ? (await find(deploymentName)).id : undefined;
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : undefined;
    ctx.body = (await records.list({ deploymentId, stateType: state })).map(flowRunView);
  });
  runs.get('/:id', async (ctx) => {
    const run = await records.get(ctx.params.id!);
    if (!run) throw new TripwireError('NOT_FOUND', `Flow run '${ctx.params.id}' not found.`);
    ctx.body = flowRunView(run);
  });
  runs.post('/:id/cancel', async (ctx) => {
    const run = await flowRuns.cancel(ctx.params.id!);
    if (!run) throw new TripwireError('NOT_FOUND', `Flow run '${ctx.params.id}' not found.`);
    ctx.body = flowRunView(run);
  });
  return [router, runs];
}
