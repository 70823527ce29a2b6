// The long-running workflow of one automation: a thin shell around the pure trigger module. It queues the events the
// router signals, wakes on a Temporal timer when the trigger has a deadline, hands each firing to activities, and
// continues as new when Temporal suggests it, carrying the state and any queued events.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReceivedEvent } from '../events/schema';
import type { createAutomationActivities } from '../activities/automations';
import {
  describeState,
  ingest,
  initialTriggerState,
  nextWakeAt,
  onTick,
  type TriggerState,
} from '../triggers/evaluate';
import type { Firing } from '../triggers/schema';
import {
  type AutomationSnapshot,
  type AutomationWorkflowInput,
  definitionSignal,
  eventsSignal,
  stateQuery,
  stopSignal,
} from './messages';
import { automationNameKey } from './search-attributes';
import { sameTriggerDefinition } from './trigger-compatibility';

const { runAction } = proxyActivities<ReturnType<typeof createAutomationActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// Recording a firing is one insert into tripwire's database: as a local activity it runs inside the workflow task
// that computed the firing, saving a round trip through the Temporal server (about 60 ms) before the actions start.
const { recordFiring } = proxyLocalActivities<ReturnType<typeof createAutomationActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Runs one automation until it is disabled or deleted. */
export async function automationWorkflow(input: AutomationWorkflowInput): Promise<void> {
  let automation: AutomationSnapshot = input.automation;
  let state = (input.state as TriggerState | undefined) ?? initialTriggerState(automation.trigger, nowIso());
  const pending: ReceivedEvent[] = [...(input.pending ?? [])];
  const leaders: string[] = [...(input.leaders ?? [])];
  let incoming: AutomationSnapshot | undefined = input.incoming;
  let stopped: string | undefined = automation.enabled ? undefined : 'disabled';
  let inFlight = 0;
  let firings = 0;
  let lastFiring: Firing | undefined;

  setHandler(eventsSignal, ({ events, leaders: seenElsewhere }) => {
    pending.push(...events);
    leaders.push(...(seenElsewhere ?? []));
  });
  setHandler(definitionSignal, ({ automation: next }) => {
    // Signals can overtake each other across API instances; the newest definition wins.
    if (next.updated >= (incoming ?? automation).updated) incoming = next;
  });
  setHandler(stopSignal, ({ reason }) => {
    stopped = reason;
  });
  setHandler(stateQuery, () => ({
    automation_id: automation.id,
    name: automation.name,
    updated: automation.updated,
    trigger_type: automation.trigger.type,
    pending_events: pending.length,
    actions_in_flight: inFlight,
    firings,
    last_firing: lastFiring
      ? { id: lastFiring.id, triggered: lastFiring.triggered, trigger_states: lastFiring.trigger_states }
      : null,
    state: describeState(automation.trigger, state),
  }));

  const fire = async (firing: Firing) => {
    inFlight += 1;
    firings += 1;
    lastFiring = firing;
    try {
      const snapshot = automation;
      const { triggeredEventId } = await recordFiring({ automation: snapshot, firing });
      const resolved = firing.trigger_states.includes('Resolved');
      const actions = resolved ? snapshot.actions_on_resolve : [...snapshot.actions, ...snapshot.actions_on_trigger];
      for (const [index, action] of actions.entries()) {
        await runAction({ automation: snapshot, firing, action, actionIndex: index, triggeredEventId });
      }
    } catch (error) {
      log.error('firing failed', { firing: firing.id, error: String(error) });
    } finally {
      inFlight -= 1;
    }
  };

  while (stopped === undefined) {
    const wake = nextWakeAt(automation.trigger, state);
    const timeout = wake === null ? undefined : Math.max(1, Date.parse(wake) - Date.now());
    const woken = await condition(
      () =>
        pending.length > 0 || incoming !== undefined || stopped !== undefined || workflowInfo().continueAsNewSuggested,
      timeout as number,
    );
    if (stopped !== undefined) break;

    if (incoming) {
      const next: AutomationSnapshot = incoming;
      incoming = undefined;
      if (!next.enabled) {
        stopped = 'disabled';
        break;
      }
      // A changed trigger starts from scratch; a changed name, description or action list keeps the state.
      if (!sameTriggerDefinition(automation.trigger, next.trigger)) state = initialTriggerState(next.trigger, nowIso());
      if (next.name !== automation.name) upsertSearchAttributes([{ key: automationNameKey, value: next.name }]);
      automation = next;
    }

    const now = nowIso();
    const result =
      pending.length > 0
        ? ingest(automation.trigger, state, pending.splice(0, pending.length), now, uuid4, {
            leadersSeen: leaders.splice(0, leaders.length),
          })
        : !woken
          ? onTick(automation.trigger, state, now, uuid4)
          : undefined;
    if (result) {
      state = result.state;
      for (const firing of result.firings) void fire(firing);
    }

    if (workflowInfo().continueAsNewSuggested) {
      await condition(() => inFlight === 0 && allHandlersFinished());
      await continueAsNew<typeof automationWorkflow>({ automation, state, pending, leaders, incoming });
    }
  }
  await condition(() => inFlight === 0 && allHandlersFinished());
}

function nowIso(): string {
  return new Date().toISOString();
}
