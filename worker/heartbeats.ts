// Heartbeats for every activity of tripwire's worker that has a heartbeat timeout, from a timer while it runs. A
// firing's actions may run for minutes (a slow call-webhook, a flow run to start), so their start-to-close timeouts
// are long, and a worker killed mid-activity left the work unconfirmed that long: 29 of 1,500 run-deployment actions
// waited 15 minutes. With a heartbeat every second (sent at most every HEARTBEAT_THROTTLE), Temporal notices a dead
// worker within the workflow's heartbeat timeout and gives the activity to another worker.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** How often a running activity heartbeats; the SDK sends the first at once and then at most one per throttle. */
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * The worker's maxHeartbeatThrottleInterval: well under the workflows' 10-second heartbeatTimeout
 * (HEARTBEAT_TIMEOUT in workflows/activity-contracts.ts), so a worker whose event loop stalls for a few seconds is not taken for dead.
 */
export const HEARTBEAT_THROTTLE = '3 seconds';

/**
 * The activity interceptor that heartbeats. Activities that finish within a second (nearly all of them) send none;
 * those scheduled without a heartbeat timeout (by a workflow from before it had one) send none either.
 */
export const heartbeatWhileRunning: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      if (!ctx.info.heartbeatTimeoutMs) return next(input);
      const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});
