// What the worker process adds to the shared services: the runner of run-deployment and cancel-flow-run actions,
// which the automation activities call. The worker has no HTTP side, router or feed.
import { ActionDeploymentRunner } from '../services/deployments/runner';
import type { CoreServices } from '../services/wiring';

export interface WorkerParts {
  deploymentRunner: ActionDeploymentRunner;
}

export type WorkerServices = CoreServices & WorkerParts;

/** Adds the worker's parts to `core`. */
export function withWorkerParts<T extends CoreServices>(core: T): T & WorkerParts {
  return {
    ...core,
    deploymentRunner: new ActionDeploymentRunner(core.deploymentService, core.flowRunStarter, core.flowRunRecords),
  };
}
