// Activities of the automation workflow: record firings as `prefect.automation.triggered` (or `.resolved`), and run
// actions, each with its `.action.triggered` then `.executed`/`.failed` events, linked by related resources and
// `follows` (Prefect §7.5). Event ids derive from the firing, so a retried activity never duplicates an event.
import { ApplicationFailure } from '@temporalio/common';
import { ACTION_TYPES, actionSchema } from '../core/automations/action-schema';
import { ActionFailed, type RelatedResource } from '../services/actions/outcome';
import { executeAction, type ExecutorDeps } from '../services/actions/executor';
import type { Event, ReceivedEvent } from '../core/events/schema';
import type { IngestPipeline } from '../services/events/pipeline';
import type { Firing } from '../core/triggers/schema';
import type {
  AutomationActivities,
  FiringResult,
  RunActionInput,
  RunActionResult,
  RunFiringsInput,
} from '../workflows/activity-contracts';
import type { AutomationSnapshot } from '../workflows/messages';
import { derivedId } from '../core/ids';
import { resourceIdFor } from '../core/resources';
import type { Metrics } from '../services/metrics/metrics';
import type { Tracing } from '../services/tracing/tracing';

export interface AutomationActivityDeps extends ExecutorDeps {
  pipeline: IngestPipeline;
  metrics?: Pick<Metrics, 'firings' | 'actions' | 'actionDuration'>;
  /** When tracing is on, each action is a span (inside the activity's, which continues the triggering event's). */
  tracing?: Tracing;
}

const FIVE_MINUTES_MS = 5 * 60 * 1000;

/** Returns the automation's resource, labelled as Prefect labels it. */
export function automationResource(automation: AutomationSnapshot): Record<string, string> {
  return {
    'prefect.resource.id': resourceIdFor('automation', automation.id),
    'prefect.resource.name': automation.name,
    'prefect.trigger-type': automation.trigger.type,
    ...(automation.trigger.type === 'event' ? { 'prefect.posture': automation.trigger.posture } : {}),
  };
}

function eventResource(id: string, role: string): RelatedResource {
  return { 'prefect.resource.id': resourceIdFor('event', id), 'prefect.resource.role': role };
}

function withinFiveMinutes(a: string, b: string): boolean {
  return Math.abs(Date.parse(a) - Date.parse(b)) <= FIVE_MINUTES_MS;
}

/** Returns the activities, bound to their dependencies. */
export function createAutomationActivities(deps: AutomationActivityDeps): AutomationActivities {
  const emit = async (event: Event): Promise<void> => {
    await deps.pipeline.emit([event]);
  };

  const activities: AutomationActivities = {
    /**
     * Records several firings in one write, then runs their actions at once (each firing's in order): a busy
     * automation needs one activity per workflow task, not one per action, and the workflow task that computed the
     * firings completes without waiting for the write. An unexpected error stops that firing's list and is
     * reported, not thrown, so the actions that ran are not run again by a retry of the whole batch; the events'
     * ids derive from the firings, so a retry does not record them twice.
     */
    async runFirings({ automation, batch }: RunFiringsInput): Promise<FiringResult[]> {
      const recorded = batch.map(({ firing }) => stateChangeEvent(automation, firing));
      for (const { firing } of batch) {
        const state = firing.trigger_states.includes('Resolved') ? 'resolved' : 'triggered';
        deps.metrics?.firings.inc({ trigger_type: automation.trigger.type, state });
      }
      // Each firing's first action is announced in the same write, so no action waits for two commits to start.
      const announced = batch.flatMap(({ firing, actions: [first] }, index) =>
        first ? [actionTriggeredEvent({ automation, firing, ...first, triggeredEventId: recorded[index]!.id })] : [],
      );
      // The first actions start while that write is in flight (the commit was a tenth of the latency from event to
      // action) and record their outcome only once it is done. A failed write fails the batch after the actions
      // return, so that the retry records the firings; the actions it runs again carry the same idempotency keys.
      const written = deps.pipeline.emit([...recorded, ...announced]).then(() => {});
      written.catch(() => {}); // awaited below, once the actions are done
      const outcomes = await Promise.all(
        batch.map(async ({ firing, actions }, index) => {
          const triggeredEventId = recorded[index]!.id;
          const results: RunActionResult[] = [];
          for (const [position, { action, actionIndex }] of actions.entries()) {
            try {
              const input = { automation, firing, action, actionIndex, triggeredEventId };
              results.push(await run(input, position === 0 ? written : undefined));
            } catch {
              return { triggeredEventId, results, retryFrom: position };
            }
          }
          return { triggeredEventId, results };
        }),
      );
      await written;
      return outcomes;
    },

    /** Runs one action; an expected failure is recorded and returned, anything else is thrown for a retry. */
    async runAction(input: RunActionInput): Promise<RunActionResult> {
      return run(input);
    },
  };

  /** Runs one action, counted and timed, in a span of its own when tracing is on. */
  const run = async (input: RunActionInput, announced?: Promise<void>): Promise<RunActionResult> => {
    const type = knownActionType(input.action);
    const started = performance.now();
    let status = 'error';
    try {
      const result = deps.tracing
        ? await deps.tracing.span(
            `tripwire.action ${type}`,
            { 'tripwire.automation.id': input.automation.id, 'tripwire.action.index': input.actionIndex },
            async (span) => {
              const outcome = await runUntraced(input, announced);
              span.setAttribute('tripwire.action.status', outcome.status);
              return outcome;
            },
          )
        : await runUntraced(input, announced);
      status = result.status;
      return result;
    } finally {
      deps.metrics?.actions.inc({ action_type: type, status });
      deps.metrics?.actionDuration.observe({ action_type: type }, (performance.now() - started) / 1000);
    }
  };

  /** Runs one action; `announced` settles once its `.action.triggered` event is stored by the caller's write. */
  const runUntraced = async (input: RunActionInput, announced?: Promise<void>): Promise<RunActionResult> => {
    const { automation, firing, actionIndex } = input;
    const parsed = actionSchema.safeParse(input.action);
    const invocation = invocationId(firing, actionIndex);
    const triggered = actionTriggeredEvent(input);
    if (!announced) await emit(triggered);

    const finish = async (
      status: 'executed' | 'failed',
      related: RelatedResource[],
      details: Record<string, unknown>,
    ) => {
      await announced; // the outcome follows its announcement in the feed
      await emit({
        id: derivedId(invocation, status),
        occurred: new Date().toISOString(),
        event: `prefect.automation.action.${status}`,
        resource: automationResource(automation),
        related: [...related, ...triggered.related],
        payload: { ...triggered.payload, ...details },
        follows: triggered.id,
      });
    };

    try {
      if (!parsed.success)
        throw new ActionFailed(`Invalid action: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      const result = await executeAction(
        deps,
        parsed.data,
        { automation, firing },
        `automation ${automation.id}, action ${actionIndex}, invocation ${invocation}`,
      );
      await finish('executed', result.related, result.details);
      return { invocation, status: 'executed' };
    } catch (error) {
      if (error instanceof ActionFailed) {
        await finish('failed', error.related, { ...error.details, reason: error.reason });
        return { invocation, status: 'failed', reason: error.reason };
      }
      if (error instanceof Error && error.name === 'ZodError')
        throw ApplicationFailure.nonRetryable(error.message, 'InvalidAction');
      throw error;
    }
  };
  return activities;
}

/** The id of one run of one action of a firing, the same however often it is retried. */
function invocationId(firing: Firing, actionIndex: number): string {
  return derivedId(firing.id, 'action', String(actionIndex));
}

/** The action's type as a metric label: one of ACTION_TYPES, or `unknown`. */
function knownActionType(action: unknown): string {
  const type = actionTypeOf(action);
  return (ACTION_TYPES as readonly string[]).includes(type) ? type : 'unknown';
}

/** The action's `type`, or `unknown` for an action without one (it fails validation). */
function actionTypeOf(action: unknown): string {
  return typeof (action as { type?: unknown })?.type === 'string' ? (action as { type: string }).type : 'unknown';
}

/** The `prefect.automation.action.triggered` event of one action of a firing, with an id derived from both. */
function actionTriggeredEvent({ automation, firing, action, actionIndex, triggeredEventId }: RunActionInput): Event {
  const invocation = invocationId(firing, actionIndex);
  const actionType = actionTypeOf(action);
  const triggering: ReceivedEvent | null = firing.triggering_event;
  return {
    id: derivedId(invocation, 'triggered'),
    occurred: firing.triggered,
    event: 'prefect.automation.action.triggered',
    resource: automationResource(automation),
    related: [
      eventResource(triggeredEventId, 'automation-triggered-event'),
      ...(triggering ? [eventResource(triggering.id, 'triggering-event')] : []),
    ],
    payload: { action_index: actionIndex, action_type: actionType, invocation },
    follows: triggering && withinFiveMinutes(triggering.occurred, firing.triggered) ? triggering.id : null,
  };
}

/** The `prefect.automation.triggered` (or `.resolved`) event of `firing`, with an id derived from it. */
function stateChangeEvent(automation: AutomationSnapshot, firing: Firing): Event {
  const resolved = firing.trigger_states.includes('Resolved');
  const triggering = firing.triggering_event;
  return {
    id: derivedId(firing.id, 'state-change'),
    occurred: firing.triggered,
    event: `prefect.automation.${resolved ? 'resolved' : 'triggered'}`,
    resource: automationResource(automation),
    related: triggering ? [eventResource(triggering.id, 'triggering-event')] : [],
    payload: {
      triggering_labels: firing.triggering_labels,
      triggering_event: triggering,
      ...(firing.triggering_value !== undefined ? { triggering_value: firing.triggering_value } : {}),
    },
    follows: null,
  };
}
