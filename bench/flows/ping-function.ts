// The run-path benchmark's function flow: a plain async function that pings the sink itself.
import { ping } from './ping-activities';

/** A function flow: pings the sink. */
export async function pingFunction(parameters: { sink: string; event_id: string }): Promise<string> {
  await ping({ sink: parameters.sink, id: parameters.event_id });
  return parameters.event_id;
}
