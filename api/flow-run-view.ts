// A flow run as the API shows it: Prefect's FlowRun field names (state, state_type, parameters, created_by,
// expected_start_time, start_time, end_time, total_run_time, run_count, ...), plus tripwire's own under named fields:
// `state_history`, `result`/`error`, `triggered_by` (the automation firing that created the run) and `temporal` (where
// the run's workflow is, with a link into the Temporal UI).
import type { FlowRunRecord, FlowRunState } from '../db/flow-runs';

/** Where runs' workflows live, for the `temporal` field. */
export interface TemporalLinks {
  namespace: string;
  /** Base URL of the Temporal UI, if there is one to link to. */
  uiUrl?: string;
}

/** Returns the Temporal UI page of a workflow (the UI opens its latest run). */
export function temporalUiLink(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

const stateView = (s: FlowRunState) => ({
  id: s.id,
  type: s.type,
  name: s.name,
  timestamp: s.timestamp,
  message: s.message,
});

/**
 * Seconds spent in Running states that have ended, summed over the run's tries; a running try counts once it ends,
 * as in Prefect.
 */
function totalRunTime(history: FlowRunState[]): number {
  let total = 0;
  history.forEach((state, index) => {
    const next = history[index + 1];
    if (state.type === 'RUNNING' && next) total += Date.parse(next.timestamp) - Date.parse(state.timestamp);
  });
  return Math.max(0, total) / 1000;
}

/** Returns `run` as the API shows it. */
export function flowRunView(run: FlowRunRecord, links: TemporalLinks) {
  return {
    id: run.id,
    name: run.name,
    deployment_id: run.deployment_id,
    flow_name: run.flow_name,
    work_pool_name: run.work_pool,
    parameters: run.parameters,
    state: stateView(run.state),
    state_type: run.state.type,
    state_name: run.state.name,
    state_history: run.state_history.map(stateView),
    run_count: run.state_history.filter((s) => s.type === 'RUNNING').length,
    expected_start_time: run.expected_start_time,
    start_time: run.start_time,
    end_time: run.end_time,
    total_run_time: totalRunTime(run.state_history),
    ...(run.state.type === 'COMPLETED' ? { result: run.result } : {}),
    ...(run.error ? { error: run.error } : {}),
    created_by: run.created_by,
    triggered_by: run.triggered_by,
    tags: run.tags,
    idempotency_key: run.idempotency_key,
    temporal: {
      namespace: links.namespace,
      workflow_id: run.workflow_id,
      ui_url: links.uiUrl ? temporalUiLink(links.uiUrl, links.namespace, run.workflow_id) : null,
    },
    created: run.created,
    updated: run.updated,
  };
}

/** The JSON of one flow run. */
export type FlowRunView = ReturnType<typeof flowRunView>;
