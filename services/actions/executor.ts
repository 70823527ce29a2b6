// Runs one action of a firing. Each type lives in its own module; this file only dispatches and supplies the
// lookups they need (automations, deployments, flow runs), injected so tests run them against a real database.
import type { Action, RunDeploymentAction } from '../../core/automations/action-schema';
import type { ReceivedEvent } from '../../core/events/schema';
import type { Firing } from '../../core/triggers/schema';
import type { AutomationSnapshot } from '../../workflows/messages';
import { callWebhook } from './call-webhook';
import { type ActionContext, templateContext } from './context';
import { ActionFailed, type ActionResult } from './outcome';
import {
  idFromResource,
  RESOURCE_ID_LABEL,
  RESOURCE_ROLE_LABEL,
  resourceIdFor,
  uuidFromResource,
} from '../../core/resources';

/** Pauses or resumes automations; returns false when the automation does not exist. */
export interface AutomationSwitch {
  setEnabled(automationId: string, enabled: boolean): Promise<boolean>;
}

export interface RunDeploymentRequest {
  action: RunDeploymentAction;
  automation: AutomationSnapshot;
  firing: Firing;
  context: Record<string, unknown>;
  idempotencyKey: string;
}

/** Starts deployments' flow runs (the deployments module provides it). */
export interface DeploymentRunner {
  run(request: RunDeploymentRequest): Promise<ActionResult>;
  cancelFlowRun(flowRunId: string, reason: string): Promise<ActionResult>;
  /** Objects a template may name (flow_run, deployment, …) for the triggering event. */
  templateExtras?(event: ReceivedEvent | null): Promise<Record<string, unknown>>;
}

export interface ExecutorDeps {
  automations: AutomationSwitch;
  deployments?: DeploymentRunner;
}

/** Runs `action`; throws ActionFailed when it cannot succeed. */
export async function executeAction(
  deps: ExecutorDeps,
  action: Action,
  ctx: ActionContext,
  idempotencyKey: string,
): Promise<ActionResult> {
  const extras = await deps.deployments?.templateExtras?.(ctx.firing.triggering_event);
  const context = templateContext({ ...ctx, extras });
  switch (action.type) {
    case 'do-nothing':
      return { related: [], details: {} };
    case 'call-webhook':
      return callWebhook(action, context, idempotencyKey);
    case 'pause-automation':
    case 'resume-automation': {
      const target =
        action.source === 'selected' ? action.automation_id! : inferAutomation(ctx.firing.triggering_event);
      if (!(await deps.automations.setEnabled(target, action.type === 'resume-automation'))) {
        throw new ActionFailed(`Automation ${target} not found`);
      }
      return {
        related: [{ [RESOURCE_ID_LABEL]: resourceIdFor('automation', target), [RESOURCE_ROLE_LABEL]: 'target' }],
        details: {},
      };
    }
    case 'run-deployment':
      if (!deps.deployments) throw new ActionFailed('deployments are not available in this tripwire process');
      return deps.deployments.run({ action, automation: ctx.automation, firing: ctx.firing, context, idempotencyKey });
    case 'cancel-flow-run': {
      if (!deps.deployments) throw new ActionFailed('flow runs are not available in this tripwire process');
      const flowRunId = inferFlowRun(ctx.firing);
      return deps.deployments.cancelFlowRun(flowRunId, `Cancelled by automation ${ctx.automation.name}`);
    }
  }
}

function resources(event: ReceivedEvent): Record<string, string>[] {
  return [event.resource, ...event.related];
}

function inferAutomation(event: ReceivedEvent | null): string {
  if (!event) throw new ActionFailed('No event to infer the automation');
  for (const resource of resources(event)) {
    const id = idFromResource('automation', resource[RESOURCE_ID_LABEL]);
    if (id !== undefined) return id;
  }
  throw new ActionFailed('No automation could be inferred');
}

/** The flow run a flow-run action targets: the for_each label first, then the event's first flow-run resource. */
function inferFlowRun(firing: Firing): string {
  const labelled = uuidFromResource('flow-run', firing.triggering_labels[RESOURCE_ID_LABEL]);
  if (labelled !== undefined) return labelled;
  const event = firing.triggering_event;
  for (const resource of event ? resources(event) : []) {
    const id = idFromResource('flow-run', resource[RESOURCE_ID_LABEL]);
    if (id !== undefined) return id;
  }
  throw new ActionFailed('No flow run could be inferred');
}
