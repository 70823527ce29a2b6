// The Temporal worker of tripwire's own task queue: the automation workflows and their activities.
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createAutomationActivities } from '../activities/automations';
import { createFlowRunActivities } from '../activities/flow-runs';
import { installTemporalRuntime } from '../services/temporal/runtime';
import type { WorkerServices } from './wiring';
import { HEARTBEAT_THROTTLE, heartbeatWhileRunning } from './heartbeats';
import { tracingWorkerOptions } from './tracing';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  /** Drains in-flight tasks and stops. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  /** A file created once the worker polls (the container health check reads it). */
  readyFile?: string;
  maxCachedWorkflows?: number;
}

/** Connects to Temporal and starts polling tripwire's task queue. */
export async function startWorker(services: WorkerServices, options: WorkerOptions = {}): Promise<RunningWorker> {
  const { config } = services;
  installTemporalRuntime(services.logger);
  const tracingOptions = services.tracing ? tracingWorkerOptions(services.tracing) : undefined;
  const connection = await NativeConnection.connect({ address: services.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: {
      ...createAutomationActivities({
        pipeline: services.pipeline,
        automations: services.automationService,
        deployments: services.deploymentRunner,
        metrics: services.metrics,
        tracing: services.tracing,
      }),
      ...createFlowRunActivities(services.flowRunRecords),
    },
    maxCachedWorkflows: options.maxCachedWorkflows,
    // A run started eagerly needs a free workflow task slot when it starts, or its first task queues for a poller:
    // slots cost nothing idle, and the SDK's 40 ran out at 50 runs/s.
    maxConcurrentWorkflowTaskExecutions: 200,
    shutdownGraceTime: '10 seconds',
    ...tracingOptions,
    interceptors: {
      ...tracingOptions?.interceptors,
      activity: [heartbeatWhileRunning, ...(tracingOptions?.interceptors?.activity ?? [])],
    },
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
  });
  // Runs this process starts get their first workflow task straight back from Temporal, to this worker.
  // (with the process client's interceptors, so a run's start joins the trace that asked for it).
  services.flowRunStarter.startEagerly(
    new Client({
      connection,
      namespace: config.temporal.namespace,
      interceptors: services.temporal.client.options.interceptors,
    }),
  );
  const done = worker.run().finally(() => {
    services.flowRunStarter.startEagerly(undefined);
    return connection.close();
  });
  if (options.readyFile) fs.writeFileSync(options.readyFile, String(process.pid));
  return {
    worker,
    done,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
      if (options.readyFile) fs.rmSync(options.readyFile, { force: true });
    },
  };
}
