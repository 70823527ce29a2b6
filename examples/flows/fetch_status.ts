// A flow written as a plain async function, as a Prefect flow is: full Node access, no Temporal API. tripwire runs it
// as one activity of the flow run; a throw fails the attempt, and the deployment's `retries` try it again.

/** GETs `url` and returns its status; throws unless it answers 2xx. */
export async function fetchStatus(params: { url: string }): Promise<{ url: string; status: number }> {
  const response = await fetch(params.url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${params.url} answered ${response.status}`);
  return { url: params.url, status: response.status };
}
