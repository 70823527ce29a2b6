// How the API and the router talk to automation workflows: signal-with-start on the automation's deterministic
// workflow id, so the first event (or definition) starts the workflow and later ones reach the running one.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { RoutedAutomation } from './registry';
import type { ReceivedEvent } from '../../core/events/schema';
import type { automationWorkflow } from '../../workflows/automation';
import {
  type AutomationSnapshot,
  type AutomationStateView,
  definitionSignal,
  eventsSignal,
  type EventsSignalInput,
  rolloverSignal,
  stateQuery,
  stopSignal,
  type StopSignalInput,
} from '../../workflows/messages';
import { automationIdKey, automationNameKey, triggerTypeKey } from '../../workflows/search-attributes';
import type { Delivery } from './router';
import { type RolloverOptions, RolloverWatch } from './rollover';

/** Starts, feeds, updates, stops and queries automation workflows. */
export class AutomationGateway {
  private readonly rollover: RolloverWatch;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    rollover: RolloverOptions,
  ) {
    this.rollover = new RolloverWatch(
      async (workflowId) => {
        const description = await this.client.workflow.getHandle(workflowId).describe();
        return {
          runId: description.runId,
          running: description.status.name === 'RUNNING',
          historyLength: description.historyLength,
        };
      },
      (workflowId) => this.client.workflow.getHandle(workflowId).signal(rolloverSignal),
      rollover,
    );
  }

  /** Delivers `events` to the automation's workflow, starting it if it is not running. */
  async deliver(target: RoutedAutomation, events: ReceivedEvent[], leaders: string[] = []): Promise<Delivery> {
    if (await this.rollover.mustHold(target.workflowId)) return 'held';
    const input: EventsSignalInput = leaders.length > 0 ? { events, leaders } : { events };
    // The workflow nearly always runs already, and a plain signal costs the server less than signal-with-start.
    try {
      await this.client.workflow.getHandle(target.workflowId).signal(eventsSignal, input);
      await this.rollover.delivered(target.workflowId);
      return 'delivered';
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    await this.client.workflow.signalWithStart<typeof automationWorkflow, [EventsSignalInput]>('automationWorkflow', {
      workflowId: target.workflowId,
      taskQueue: this.taskQueue,
      args: [{ automation: target.snapshot }],
      signal: eventsSignal,
      signalArgs: [input],
      typedSearchAttributes: searchAttributes(target.snapshot),
    });
    return 'delivered';
  }

  /** Sends the automation's new definition to its workflow, starting it so proactive triggers begin counting. */
  async define(workflowId: string, snapshot: AutomationSnapshot): Promise<void> {
    await this.client.workflow.signalWithStart<typeof automationWorkflow, [{ automation: AutomationSnapshot }]>(
      'automationWorkflow',
      {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ automation: snapshot }],
        signal: definitionSignal,
        signalArgs: [{ automation: snapshot }],
        typedSearchAttributes: searchAttributes(snapshot),
      },
    );
  }

  /** Ends the automation's workflow (disabled or deleted); does nothing when it is not running. */
  async stop(workflowId: string, reason: StopSignalInput['reason']): Promise<void> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(stopSignal, { reason });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

  /** Returns what the automation's workflow waits for, or undefined when it is not running. */
  async state(workflowId: string): Promise<AutomationStateView | undefined> {
    try {
      const handle = this.client.workflow.getHandle(workflowId);
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return undefined;
      return await handle.query(stateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }
}

function searchAttributes(snapshot: AutomationSnapshot) {
  return [
    { key: automationIdKey, value: snapshot.id },
    { key: automationNameKey, value: snapshot.name },
    { key: triggerTypeKey, value: snapshot.trigger.type },
  ];
}
