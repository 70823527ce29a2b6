// Flows written as Temporal workflows: deterministic code that the pool worker runs in Temporal's workflow sandbox.
// A flow receives the run's parameters as one object and its return value becomes the run's result.
import { log } from '@temporalio/workflow';

interface ReceivedEvent {
  id: string;
  event: string;
  resource: Record<string, string>;
}

/** The flow of my-deployment: says which event (if any) triggered it. */
export async function myFlow(params: { param_1?: ReceivedEvent | string }): Promise<{ got: string }> {
  const got = typeof params.param_1 === 'object' ? params.param_1.event : (params.param_1 ?? 'nothing');
  log.info('myFlow ran', { got });
  return { got };
}

/** The flow of my-downstream: runs after a run of my-deployment completed. */
export async function afterMyFlow(params: {
  upstream_run: string;
  upstream_parameters?: Record<string, unknown>;
}): Promise<{ after: string; upstream_parameters: Record<string, unknown> }> {
  return { after: params.upstream_run, upstream_parameters: params.upstream_parameters ?? {} };
}
