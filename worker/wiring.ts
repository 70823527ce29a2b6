// What the worker process adds to the shared services: the runner of run-deployment and cancel-flow-run actions,
// which the automation activities call. The worker has no HTTP side, router or feed.
import { ActionDeploymentRunner } from '../services/deployments/runner';
import { OUTBOX_CHANNEL } from '../services/replicas/notifications';
import type { CoreServices } from '../services/wiring';

export interface WorkerParts {
  deploymentRunner: ActionDeploymentRunner;
}

export type WorkerServices = CoreServices & WorkerParts;

/** Adds the worker's parts to `core`. */
export function withWorkerParts<T extends CoreServices>(core: T): T & WorkerParts {
  // The events its activities store (action outcomes, flow-run states) may be wanted by triggers: tell the api
  // process that routes the outbox, unless this process routes it itself (npm start, the tests).
  const { notifications } = core;
  if (notifications && !('router' in core)) core.pipeline.whenRouted(() => notifications.notify(OUTBOX_CHANNEL));
  return {
    ...core,
    deploymentRunner: new ActionDeploymentRunner(core.deploymentService, core.flowRunStarter, core.flowRunRecords),
  };
}
