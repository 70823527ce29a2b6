// When the router has a busy automation's workflow continue as new. A workflow that continues as new while signals
// keep arriving fails its workflow task (Temporal will not drop the signals), is evicted, and replays its whole
// history in the retry, during which more signals arrive: at 100 events/s an automation stalled for ten seconds.
// So the router, which sends nearly every signal, watches the history length of the workflows it feeds, asks one
// that has grown long to roll over, and holds its events (they wait in the outbox) until the new run is up.

/** What the router needs to know of a workflow's current run. */
export interface RunDescription {
  runId: string;
  running: boolean;
  historyLength: number;
}

export interface RolloverOptions {
  /** History length at which a workflow is asked to roll over. */
  historyEvents: number;
  /** Signals between two looks at a workflow's history length. */
  checkEvery?: number;
  /** Longest the events are held for a workflow that does not roll over (its actions may still be running). */
  maxHoldMs?: number;
  now?: () => number;
}

interface Watched {
  signalsSinceCheck: number;
  /** Set while the events are held: the run that was asked to roll over, and since when. */
  holding?: { runId: string; since: number };
}

/** Decides, per workflow, when to ask for a rollover and whether its events must wait. */
export class RolloverWatch {
  private readonly watched = new Map<string, Watched>();
  private readonly checkEvery: number;
  private readonly maxHoldMs: number;
  private readonly now: () => number;

  constructor(
    private readonly describe: (workflowId: string) => Promise<RunDescription | undefined>,
    private readonly requestRollover: (workflowId: string) => Promise<void>,
    private readonly options: RolloverOptions,
  ) {
    this.checkEvery = options.checkEvery ?? Math.max(1, Math.floor(options.historyEvents / 10));
    this.maxHoldMs = options.maxHoldMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** True when events for `workflowId` must wait: it was asked to roll over and its old run is still open. */
  async mustHold(workflowId: string): Promise<boolean> {
    const watched = this.watched.get(workflowId);
    if (!watched?.holding) return false;
    if (this.now() - watched.holding.since < this.maxHoldMs) {
      // A failed look is no reason to hold: the signal that follows fails too when Temporal is unreachable.
      const run = await this.describe(workflowId).catch(() => undefined);
      if (run?.running && run.runId === watched.holding.runId) return true;
    }
    watched.holding = undefined;
    return false;
  }

  /** Counts a signal sent to `workflowId`; now and then looks at its history and asks for a rollover. */
  async delivered(workflowId: string): Promise<void> {
    let watched = this.watched.get(workflowId);
    if (!watched) {
      // Only workflows that keep receiving signals are worth remembering; the map forgets the rest.
      if (this.watched.size >= 10_000) this.watched.clear();
      watched = { signalsSinceCheck: 0 };
      this.watched.set(workflowId, watched);
    }
    watched.signalsSinceCheck += 1;
    if (watched.holding || watched.signalsSinceCheck < this.checkEvery) return;
    watched.signalsSinceCheck = 0;
    // The events were delivered: a failure here only postpones the rollover to the next look.
    try {
      const run = await this.describe(workflowId);
      if (!run?.running || run.historyLength < this.options.historyEvents) return;
      await this.requestRollover(workflowId);
      watched.holding = { runId: run.runId, since: this.now() };
    } catch {
      return;
    }
  }
}
