// The TypeScript client: the analogue of Prefect's `.serve()` and `.deploy()` for flows written as Temporal workflow
// functions, plus typed calls to tripwire's REST API.
//
//   import { serve, DeploymentEventTrigger } from 'tripwire';
//   export async function myFlow(params: { param_1: unknown }) { ... }
//   await serve(myFlow, { name: 'my-deployment', triggers: [new DeploymentEventTrigger({ expect: ['x.pinged'] })] });
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createApiClient, type ApiClient } from './api-client';
import { temporalTarget } from '../services/config/env';

export {
  DeploymentCompoundTrigger,
  DeploymentEventTrigger,
  DeploymentMetricTrigger,
  DeploymentSequenceTrigger,
} from '../core/deployments/client-triggers';

/** Anything with a toJSON() that yields a trigger, or a plain trigger object. */
type TriggerLike = { toJSON(): unknown } | Record<string, unknown>;

export interface DeployOptions {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  parameter_schema?: Record<string, unknown>;
  tags?: string[];
  triggers?: TriggerLike[];
  /** The work pool (task queue) whose worker runs the flow; `deploy` defaults to `default`. */
  work_pool?: string;
  /** `file.ts:exportName`; defaults to the file that called serve/deploy and the function's name. */
  entrypoint?: string;
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

type Flow = (...args: never[]) => Promise<unknown>;

/** Registers a deployment of `flow` with its triggers (re-deploying replaces the automations it owns). */
export async function deploy(flow: Flow, options: DeployOptions): Promise<DeploymentResponse> {
  const api = options.api ?? createApiClient();
  const entrypoint = options.entrypoint ?? `${callerFile()}:${flow.name}`;
  return api.request<DeploymentResponse>('POST', '/api/deployments', {
    name: options.name,
    description: options.description ?? '',
    entrypoint: path.isAbsolute(entrypoint.split(':')[0]!) ? entrypoint : path.resolve(entrypoint),
    work_pool: { name: options.work_pool ?? 'default' },
    parameters: options.parameters ?? {},
    ...(options.parameter_schema ? { parameter_schema: options.parameter_schema } : {}),
    tags: options.tags ?? [],
    triggers: (options.triggers ?? []).map((t) => (typeof t.toJSON === 'function' ? (t.toJSON as () => unknown)() : t)),
  });
}

/** Registers the deployment on a work pool of its own and runs a worker for it in this process until stopped. */
export async function serve(flow: Flow, options: ServeOptions): Promise<Served> {
  const entrypoint = options.entrypoint ?? `${callerFile()}:${flow.name}`;
  const pool = options.work_pool ?? `serve/${options.name}`;
  const deployment = await deploy(flow, { ...options, entrypoint, work_pool: pool });
  const target = temporalTarget();
  const connection = await NativeConnection.connect({ address: options.temporalAddress ?? target.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace ?? target.namespace,
    taskQueue: pool,
    workflowsPath: entrypoint.slice(0, entrypoint.lastIndexOf(':')),
  });
  const done = worker.run().finally(() => connection.close());
  return {
    deployment,
    done,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
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
