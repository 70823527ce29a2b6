// The TypeScript client: the analogue of Prefect's `.serve()` and `.deploy()`, for flows written as Temporal workflow
// functions (with an activities module for their I/O) or as plain async functions, plus typed calls to tripwire's
// REST API.
//
//   import { serve, DeploymentEventTrigger } from 'tripwire';
//   export async function myFlow(params: { param_1: unknown }) { ... }
//   await serve(myFlow, { name: 'my-deployment', triggers: [new DeploymentEventTrigger({ expect: ['x.pinged'] })] });
import path from 'node:path';
import type { EntrypointType, WorkPoolType } from '../core/deployments/schema';
import { createLogger } from '../services/logging/logger';
import { projectRoot } from '../services/config/project-root';
import { flowStartedInterceptorModule } from '../services/deployments/flow-bundle';
import { PoolWorker } from '../worker/pool-worker';
import { createApiClient, type ApiClient } from './api-client';
import { temporalTarget } from '../services/config/env';

export {
  DeploymentCompoundTrigger,
  DeploymentEventTrigger,
  DeploymentMetricTrigger,
  DeploymentSequenceTrigger,
} from '../core/deployments/client-triggers';
export type { FlowContext } from '../worker/function-flows';

/** Anything with a toJSON() that yields a trigger, or a plain trigger object. */
type TriggerLike = { toJSON(): unknown } | Record<string, unknown>;

export interface DeployOptions {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  parameter_schema?: Record<string, unknown>;
  tags?: string[];
  triggers?: TriggerLike[];
  /**
   * The work pool (task queue) whose worker runs the flow; `deploy` defaults to `default`. `{ name, type: 'external' }`
   * names the task queue of a Temporal worker of your own, which registers the workflow (the entrypoint is then its
   * workflow type).
   */
  work_pool?: string | { name: string; type?: WorkPoolType };
  /** `file.ts:exportName`; defaults to the file that called serve/deploy and the function's name. */
  entrypoint?: string;
  /** `workflow` (default): a Temporal workflow function; `function`: a plain async function, run as one activity. */
  entrypoint_type?: EntrypointType;
  /** A module (path) whose exported functions are the activities of a workflow flow. */
  activities?: string;
  /** Prefect's flow retries: how often a failed run is tried again, and the seconds in between. */
  retries?: number;
  retry_delay_seconds?: number;
  /** Longest one attempt may run, in seconds. */
  timeout_seconds?: number;
  /** API URL and key; default from the environment and the data folder, as the CLI does. */
  api?: ApiClient;
}

export interface ServeOptions extends DeployOptions {
  /** Temporal address for the worker; default TEMPORAL_ADDRESS, else 127.0.0.1:TEMPORAL_PORT (7233). */
  temporalAddress?: string;
  namespace?: string;
}

export interface DeploymentResponse {
  id: string;
  name: string;
  work_pool: string;
  entrypoint: string;
  automations: { id: string; name: string }[];
}

export interface Served {
  deployment: DeploymentResponse;
  /** Resolves when the worker stops. */
  done: Promise<void>;
  stop(): Promise<void>;
}

type Flow = (...args: never[]) => unknown;

/**
 * The workflow interceptor modules an external worker adds (`interceptors: { workflowModules }`, or
 * `bundleWorkflowCode({ workflowInterceptorModules })`) so that tripwire records a run as Running when its workflow
 * starts; without them the run goes from Pending (or Late) straight to its end.
 */
export const flowRunInterceptorModules: string[] = [flowStartedInterceptorModule()];

/** Registers a deployment of `flow` with its triggers (re-deploying replaces the automations it owns). */
export async function deploy(flow: Flow, options: DeployOptions): Promise<DeploymentResponse> {
  const api = options.api ?? createApiClient();
  const pool = typeof options.work_pool === 'string' ? { name: options.work_pool } : options.work_pool;
  const external = pool?.type === 'external';
  const entrypoint = options.entrypoint ?? (external ? flow.name : `${callerFile()}:${flow.name}`);
  const absolute = (file: string) => (path.isAbsolute(file) ? file : path.resolve(file));
  return api.request<DeploymentResponse>('POST', '/api/deployments', {
    name: options.name,
    description: options.description ?? '',
    entrypoint:
      external && !entrypoint.includes(':')
        ? entrypoint
        : `${absolute(entrypoint.slice(0, entrypoint.lastIndexOf(':')))}${entrypoint.slice(entrypoint.lastIndexOf(':'))}`,
    ...(options.entrypoint_type ? { entrypoint_type: options.entrypoint_type } : {}),
    ...(options.activities ? { activities: absolute(options.activities) } : {}),
    work_pool: { name: pool?.name ?? 'default', ...(pool?.type ? { type: pool.type } : {}) },
    parameters: options.parameters ?? {},
    ...(options.parameter_schema ? { parameter_schema: options.parameter_schema } : {}),
    tags: options.tags ?? [],
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    ...(options.retry_delay_seconds !== undefined ? { retry_delay_seconds: options.retry_delay_seconds } : {}),
    ...(options.timeout_seconds !== undefined ? { timeout_seconds: options.timeout_seconds } : {}),
    triggers: (options.triggers ?? []).map((t) => (typeof t.toJSON === 'function' ? (t.toJSON as () => unknown)() : t)),
  });
}

/**
 * Registers the deployment on a work pool of its own (`serve/<name>` unless given) and runs a worker for it in this
 * process until stopped: the workflow and its activities, or the function.
 */
export async function serve(flow: Flow, options: ServeOptions): Promise<Served> {
  const entrypoint = options.entrypoint ?? `${callerFile()}:${flow.name}`;
  const poolName =
    (typeof options.work_pool === 'string' ? options.work_pool : options.work_pool?.name) ?? `serve/${options.name}`;
  const deployment = await deploy(flow, { ...options, entrypoint, work_pool: poolName });
  const target = temporalTarget();
  const served = {
    name: deployment.name,
    entrypoint:
      path.resolve(entrypoint.slice(0, entrypoint.lastIndexOf(':'))) + entrypoint.slice(entrypoint.lastIndexOf(':')),
    entrypoint_type: options.entrypoint_type ?? 'workflow',
    activities: options.activities ? path.resolve(options.activities) : null,
    base_dir: process.cwd(),
  } as const;
  const worker = new PoolWorker(
    { list: async () => [served] },
    {
      address: options.temporalAddress ?? target.address,
      namespace: options.namespace ?? target.namespace,
      pool: poolName,
      nodeModules: path.join(projectRoot(), 'node_modules'),
      // One deployment whose files do not change under it: no need to look again.
      pollIntervalMs: 2 ** 31 - 1,
    },
    createLogger('warn'),
  );
  await worker.start();
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  return {
    deployment,
    done,
    stop: async () => {
      await worker.stop();
      resolveDone();
    },
  };
}

/** The file of the function that called serve() or deploy(): where the flow lives unless told otherwise. */
function callerFile(): string {
  const stack = new Error().stack?.split('\n') ?? [];
  for (const line of stack.slice(1)) {
    const match = /\(?((?:\/|[A-Za-z]:\\)[^():]+):\d+:\d+\)?$/.exec(line.trim());
    if (
      match &&
      !match[1]!.startsWith(__dirname) &&
      !match[1]!.includes('node_modules') &&
      !match[1]!.startsWith('node:')
    )
      return match[1]!;
  }
  throw new Error('cannot tell which file holds the flow: pass `entrypoint: "path/to/flow.ts:exportName"`');
}

export { createApiClient } from './api-client';
