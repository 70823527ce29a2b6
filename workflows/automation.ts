// The long-running workflow of one automation: a thin shell around the pure trigger module. It queues the events the
// router signals, wakes on a Temporal timer when the trigger has a deadline, hands each firing to activities, and
// continues as new when Temporal suggests it, carrying the state and any queued events.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReceivedEvent } from '../core/events/schema';
import {
  describeState,
  ingest,
  initialTriggerState,
  nextWakeAt,
  onTick,
  type TriggerState,
} from '../core/triggers/evaluate';
import type { Firing } from '../core/triggers/schema';
import {
  type AutomationSnapshot,
  type AutomationWorkflowInput,
  definitionSignal,
  eventsSignal,
  rolloverSignal,
  stateQuery,
  stopSignal,
} from './messages';
import { type AutomationActivities, type FiringWork, HEARTBEAT_TIMEOUT } from './activity-contracts';
import { automationNameKey } from './search-attributes';
import { sameTriggerDefinition } from '../core/triggers/compatibility';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
// Both heartbeat, so a worker killed mid-activity is noticed within HEARTBEAT_TIMEOUT and another worker retries it
// (events and actions carry ids derived from the firing, so a retry repeats nothing).
const { runAction } = proxyActivities<AutomationActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry,
});
// A batch records its firings, then runs each firing's actions one after another, and a call-webhook may take up to
// a minute: a retry of a timed-out batch would run again what already ran, so the batch gets room for several slow
// actions. It starts eagerly, in the reply to the workflow task that scheduled it.
const { runFirings } = proxyActivities<AutomationActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry,
});

/** Runs one automation until it is disabled or deleted. */
export async function automationWorkflow(input: AutomationWorkflowInput): Promise<void> {
  let automation: AutomationSnapshot = input.automation;
  let state = (input.state as TriggerState | undefined) ?? initialTriggerState(automation.trigger, nowIso());
  const pending: ReceivedEvent[] = [...(input.pending ?? [])];
  const leaders: string[] = [...(input.leaders ?? [])];
  let incoming: AutomationSnapshot | undefined = input.incoming;
  let stopped: string | undefined = automation.enabled ? undefined : 'disabled';
  let rollover = false;
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
  setHandler(rolloverSignal, () => {
    rollover = true;
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

  // Every firing of one evaluation goes out together: one activity records them and runs all their actions (each
  // firing's in order), so a busy automation costs Temporal a few history events per batch, not per action. An action
  // that failed unexpectedly is retried on its own, from where its firing's list stopped.
  const fireAll = async (batch: Firing[]) => {
    inFlight += batch.length;
    firings += batch.length;
    lastFiring = batch[batch.length - 1];
    try {
      const snapshot = automation;
      const work: FiringWork[] = batch.map((firing) => {
        const resolved = firing.trigger_states.includes('Resolved');
        const actions = resolved ? snapshot.actions_on_resolve : [...snapshot.actions, ...snapshot.actions_on_trigger];
        return { firing, actions: actions.map((action, actionIndex) => ({ action, actionIndex })) };
      });
      const outcomes = await runFirings({ automation: snapshot, batch: work });
      for (const [index, outcome] of outcomes.entries()) {
        if (outcome.retryFrom === undefined) continue;
        const { firing, actions } = work[index]!;
        for (const { action, actionIndex } of actions.slice(outcome.retryFrom)) {
          await runAction({
            automation: snapshot,
            firing,
            action,
            actionIndex,
            triggeredEventId: outcome.triggeredEventId,
          });
        }
      }
    } catch (error) {
      log.error('firing failed', { firings: batch.map((firing) => firing.id), error: String(error) });
    } finally {
      inFlight -= batch.length;
    }
  };

  // One timer for the next wake, kept while the wake stays the same: a timeout per wait started and cancelled a
  // Temporal timer in every workflow task of a windowed trigger (two more history events and two more commands each).
  let alarm: { wake: string; rang: boolean; scope: CancellationScope } | undefined;
  const setAlarm = (wake: string | null) => {
    if (alarm && alarm.wake === wake) return;
    alarm?.scope.cancel();
    alarm = undefined;
    if (wake === null) return;
    const next = { wake, rang: false, scope: new CancellationScope() };
    next.scope
      .run(() => sleep(Math.max(1, Date.parse(wake) - Date.now())))
      .then(
        () => (next.rang = true),
        () => undefined, // cancelled: the wake moved
      );
    alarm = next;
  };

  while (stopped === undefined) {
    setAlarm(nextWakeAt(automation.trigger, state));
    await condition(
      () =>
        pending.length > 0 ||
        incoming !== undefined ||
        stopped !== undefined ||
        rollover ||
        alarm?.rang === true ||
        workflowInfo().continueAsNewSuggested,
    );
    if (stopped !== undefined) break;
    const rang = alarm?.rang === true;
    if (rang) alarm = undefined;

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
        : rang
          ? onTick(automation.trigger, state, now, uuid4)
          : undefined;
    if (result) {
      state = result.state;
      if (result.firings.length > 0) void fireAll(result.firings);
    }

    // Continuing as new while signals keep arriving fails the workflow task (Temporal will not drop them), and the
    // retry replays the whole history, during which more arrive: a busy automation stalled for seconds. So the
    // router asks for it (`rollover`) and holds the automation's events until the new run is up; Temporal's own
    // suggestion remains for workflows the router does not drive (and for routers in other processes).
    if (rollover || workflowInfo().continueAsNewSuggested) {
      await condition(() => inFlight === 0 && allHandlersFinished());
      await continueAsNew<typeof automationWorkflow>({ automation, state, pending, leaders, incoming });
    }
  }
  await condition(() => inFlight === 0 && allHandlersFinished());
}

function nowIso(): string {
  return new Date().toISOString();
}
