// The `run-deployment` and `cancel-flow-run` actions: render the parameters from the firing, then run the deployment
// through DeploymentService.run (the one place defaults are overlaid and the parameter schema checked) under the
// firing's idempotency key, so a retried action never starts a second run.
import { ParameterError, renderRunParameters } from '../actions/run-parameters';
import { ActionFailed, type ActionResult } from '../actions/outcome';
import type { DeploymentRunner, RunDeploymentRequest } from '../actions/executor';
import type { DeploymentRecord } from '../../db/deployments';
import type { FlowRunRecord, TriggeredBy, TriggeringEventSummary } from '../../db/flow-runs';
import type { Firing } from '../../core/triggers/schema';
import type { ReceivedEvent } from '../../core/events/schema';
import { renderTemplate } from '../../templates/render';
import { type DeploymentService, ParameterValidationError } from './deployment-service';
import type { FlowRunRecords } from './flow-run-records';
import { FlowRunFinishedError, type FlowRunStarter } from './flow-run-starter';
import { idFromResource, RESOURCE_ID_LABEL, resourceIdFor, uuidFromResource } from '../../core/resources';

/** Runs deployments for automation actions. */
export class ActionDeploymentRunner implements DeploymentRunner {
  constructor(
    private readonly deployments: DeploymentService,
    private readonly flowRuns: FlowRunStarter,
    private readonly records: FlowRunRecords,
  ) {}

  async run({ action, automation, firing, context, idempotencyKey }: RunDeploymentRequest): Promise<ActionResult> {
    const deployment =
      action.source === 'selected'
        ? await this.deployments.find(action.deployment_id!)
        : await this.infer(firing.triggering_event);
    if (!deployment) throw new ActionFailed("Unexpected status from 'run-deployment' action: 404");
    const target = {
      'prefect.resource.id': resourceIdFor('deployment', deployment.id),
      'prefect.resource.role': 'target',
      'prefect.resource.name': deployment.name,
    };

    let rendered: Record<string, unknown>;
    try {
      rendered = renderRunParameters(
        action.parameters ?? {},
        { ...context, deployment: deploymentView(deployment) },
        renderTemplate,
      );
    } catch (error) {
      if (error instanceof ParameterError) {
        throw new ActionFailed(
          `Unable to create flow run from deployment: ${error.kind}()`,
          { template_error: error.message, path: error.path },
          [target],
        );
      }
      throw error;
    }
    let started: { run: FlowRunRecord; created: boolean };
    try {
      started = await this.deployments.run(deployment, {
        parameters: rendered,
        scheduleAfterSeconds: action.schedule_after,
        idempotencyKey,
        createdBy: { type: 'AUTOMATION', id: automation.id, display_value: automation.name },
        triggeredBy: triggeredBy(automation, firing),
      });
    } catch (error) {
      if (!(error instanceof ParameterValidationError)) throw error;
      // Prefect's action reports a schema mismatch as the 409 its own API call answered.
      throw new ActionFailed(
        `Validation error occurred for 'run-deployment' - ${error.problems.join('; ')}`,
        { validation_error: error.problems.join('; '), status_code: 409 },
        [target],
      );
    }
    const { run, created } = started;
    return {
      related: [
        target,
        {
          'prefect.resource.id': resourceIdFor('flow-run', run.id),
          'prefect.resource.role': 'flow-run',
          'prefect.resource.name': run.name,
        },
      ],
      details: { status_code: created ? 201 : 200, flow_run_id: run.id, expected_start_time: run.expected_start_time },
    };
  }

  async cancelFlowRun(flowRunId: string): Promise<ActionResult> {
    const related = [
      { 'prefect.resource.id': resourceIdFor('flow-run', flowRunId), 'prefect.resource.role': 'target' },
    ];
    try {
      const run = await this.flowRuns.cancel(flowRunId);
      if (!run) throw new ActionFailed(`Flow run ${flowRunId} not found`, {}, related);
      return { related, details: { state: run.state.name } };
    } catch (error) {
      if (error instanceof FlowRunFinishedError) throw new ActionFailed(error.message, {}, related);
      throw error;
    }
  }

  /** `flow_run` and `deployment` for templates, when the triggering event concerns them. */
  async templateExtras(event: ReceivedEvent | null): Promise<Record<string, unknown>> {
    if (!event) return {};
    const extras: Record<string, unknown> = {};
    for (const resource of [event.resource, ...event.related]) {
      const flowRunId = idFromResource('flow-run', resource[RESOURCE_ID_LABEL]);
      if (!extras.flow_run && flowRunId !== undefined) {
        const run = await this.records.get(flowRunId);
        if (run) extras.flow_run = run;
      }
      const deploymentId = idFromResource('deployment', resource[RESOURCE_ID_LABEL]);
      if (!extras.deployment && deploymentId !== undefined) {
        const deployment = await this.deployments.find(deploymentId);
        if (deployment) extras.deployment = deploymentView(deployment);
      }
    }
    return extras;
  }

  private async infer(event: ReceivedEvent | null): Promise<DeploymentRecord> {
    if (!event) throw new ActionFailed('No event to infer the deployment');
    for (const resource of [event.resource, ...event.related]) {
      const id = uuidFromResource('deployment', resource[RESOURCE_ID_LABEL]);
      if (id !== undefined) {
        const deployment = await this.deployments.find(id);
        if (deployment) return deployment;
      }
    }
    throw new ActionFailed('No deployment could be inferred');
  }
}

/** What a run remembers of the firing that created it (the full events stay in the feed). */
export function triggeredBy(automation: { id: string; name: string }, firing: Firing): TriggeredBy {
  const summary = (event: ReceivedEvent): TriggeringEventSummary => ({
    id: event.id,
    event: event.event,
    occurred: event.occurred,
    resource_id: event.resource[RESOURCE_ID_LABEL] ?? '',
  });
  const children = new Map<string, ReceivedEvent>();
  const collect = (child: Firing) => {
    if (child.triggering_event) children.set(child.triggering_event.id, child.triggering_event);
    child.triggering_firings.forEach(collect);
  };
  firing.triggering_firings.forEach(collect);
  return {
    automation_id: automation.id,
    automation_name: automation.name,
    firing_id: firing.id,
    event: firing.triggering_event ? summary(firing.triggering_event) : null,
    events: [...children.values()].sort((a, b) => Date.parse(a.occurred) - Date.parse(b.occurred)).map(summary),
  };
}

function deploymentView(deployment: DeploymentRecord) {
  const { base_dir: _baseDir, ...rest } = deployment;
  return { ...rest, work_pool_name: deployment.work_pool };
}
