// The run-path benchmark's flows. A workflow flow's first act is its activity telling the sink it runs; a function flow
// tells it itself.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './ping-activities';

const { ping } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** A workflow flow: pings the sink through its activity. */
export async function pingWorkflow(parameters: { sink: string; event_id: string }): Promise<string> {
  await ping({ sink: parameters.sink, id: parameters.event_id });
  return parameters.event_id;
}
