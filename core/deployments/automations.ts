// A deployment's triggers as the automations it owns, exactly as Prefect's `as_automation` builds them (§6): one
// automation per trigger, running the deployment through a single `run-deployment` action. Sandbox-safe and pure.
import type { AutomationInput } from '../automations/schema';
import type { Trigger } from '../triggers/schema';
import type { DeploymentTrigger } from './schema';
import { resourceIdFor } from '../resources';

/** The deployment an automation belongs to. */
export interface OwningDeployment {
  id: string;
  name: string;
}

/** Returns the resource id that owns (and, on re-deploy, loses) a deployment's automations. */
export function deploymentOwnerResource(deploymentId: string): string {
  return resourceIdFor('deployment', deploymentId);
}

/** Returns the automation name `prefect deploy` gives the 1-based `position`-th trigger of a deployment. */
export function defaultAutomationName(deploymentName: string, position: number): string {
  return `${deploymentName}__automation_${position}`;
}

/** Returns the plain trigger of a deployment trigger: the automation and action fields dropped. */
export function plainTrigger(trigger: DeploymentTrigger): Trigger {
  const {
    name: _name,
    description: _description,
    enabled: _enabled,
    parameters: _parameters,
    job_variables: _jobVariables,
    schedule_after: _scheduleAfter,
    ...plain
  } = trigger;
  return plain;
}

/**
 * Returns the automation for one deployment trigger. A trigger without a name gets Prefect's last-resort name
 * `Automation for deployment <id>`; `deploymentTriggersToAutomations` names them by position first.
 */
export function deploymentTriggerToAutomation(deploymentId: string, trigger: DeploymentTrigger): AutomationInput {
  return {
    name: trigger.name || `Automation for deployment ${deploymentId}`,
    description: trigger.description,
    enabled: trigger.enabled,
    trigger: plainTrigger(trigger),
    actions: [
      {
        type: 'run-deployment',
        source: 'selected',
        deployment_id: deploymentId,
        // Shared, not copied: the caller serialises or validates the result, and nothing here mutates it.
        parameters: trigger.parameters,
        job_variables: trigger.job_variables,
        schedule_after: trigger.schedule_after,
      },
    ],
    actions_on_trigger: [],
    actions_on_resolve: [],
    owner_resource: deploymentOwnerResource(deploymentId),
    tags: [],
  };
}

/**
 * Returns one automation per trigger, in order, each owned by `prefect.deployment.<id>`. Unnamed triggers are named
 * `<deployment name>__automation_<i>` (1-based), as `prefect deploy` names them. The result is plain JSON that
 * `automationInputSchema` accepts unchanged.
 */
export function deploymentTriggersToAutomations(
  deployment: OwningDeployment,
  triggers: readonly DeploymentTrigger[],
): AutomationInput[] {
  return triggers.map((trigger, index) =>
    deploymentTriggerToAutomation(deployment.id, {
      ...trigger,
      name: trigger.name || defaultAutomationName(deployment.name, index + 1),
    }),
  );
}
