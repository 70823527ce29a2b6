// Workflow ids, built in one place. They read well in the Temporal UI and are deterministic, so a redelivered event
// or a retried action finds the same workflow instead of starting another.

/** Returns a short, readable form of `name` for an id: lower-case words joined by dashes. */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug || 'unnamed';
}

/** `automation/<name>/<id>`: the name as it was when the automation was created; the id keeps it unique. */
export function automationWorkflowId(name: string, automationId: string): string {
  return `automation/${slugify(name)}/${automationId}`;
}

/** `run/<deployment>/<flow run id>`: one workflow per flow run. */
export function flowRunWorkflowId(deploymentName: string, flowRunId: string): string {
  return `run/${slugify(deploymentName)}/${flowRunId}`;
}

/**
 * `flow/<flow run id>`: the flow's own workflow, started by its flow-run workflow on the work pool's queue, for the
 * first attempt; `flow/<flow run id>/<attempt>` for each of the deployment's retries.
 */
export function flowWorkflowId(flowRunId: string, attempt = 1): string {
  return attempt <= 1 ? `flow/${flowRunId}` : `flow/${flowRunId}/${attempt}`;
}

/** The attempt a child flow's workflow id stands for (see flowWorkflowId); 1 when it carries none. */
export function attemptOfFlowWorkflowId(workflowId: string): number {
  const match = /^flow\/[^/]+\/(\d+)$/.exec(workflowId);
  return match ? Number(match[1]) : 1;
}
