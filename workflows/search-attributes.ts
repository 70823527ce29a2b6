// Typed search-attribute keys of tripwire's workflows. The dev-server launcher registers them; workflows and the API
// set them, so an operator can filter the Temporal UI by automation, trigger type, deployment or flow run.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const automationIdKey = defineSearchAttributeKey('TripwireAutomationId', SearchAttributeType.KEYWORD);
export const automationNameKey = defineSearchAttributeKey('TripwireAutomationName', SearchAttributeType.KEYWORD);
export const triggerTypeKey = defineSearchAttributeKey('TripwireTriggerType', SearchAttributeType.KEYWORD);
export const deploymentNameKey = defineSearchAttributeKey('TripwireDeploymentName', SearchAttributeType.KEYWORD);
export const flowRunIdKey = defineSearchAttributeKey('TripwireFlowRunId', SearchAttributeType.KEYWORD);

/** Every key above, for registration with a Temporal server. */
export const ALL_SEARCH_ATTRIBUTE_KEYS = [
  automationIdKey,
  automationNameKey,
  triggerTypeKey,
  deploymentNameKey,
  flowRunIdKey,
] as const;
