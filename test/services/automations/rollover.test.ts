// When the router asks a workflow to roll over, and how long it holds that workflow's events.
import { type RunDescription, RolloverWatch } from '../../../services/automations/rollover';

function watch(runs: (RunDescription | Error)[], options: { maxHoldMs?: number } = {}) {
  let clock = 0;
  const described: string[] = [];
  const requested: string[] = [];
  const rollover = new RolloverWatch(
    async (workflowId) => {
      described.push(workflowId);
      const next = runs.length > 1 ? runs.shift()! : runs[0]!;
      if (next instanceof Error) throw next;
      return next;
    },
    async (workflowId) => {
      requested.push(workflowId);
    },
    { historyEvents: 100, checkEvery: 3, now: () => clock, ...options },
  );
  return { rollover, described, requested, advance: (ms: number) => (clock += ms) };
}

const run = (runId: string, historyLength: number, running = true): RunDescription => ({
  runId,
  running,
  historyLength,
});

describe('RolloverWatch', () => {
  it('looks at the history every few signals and asks for a rollover once it is long', async () => {
    const { rollover, described, requested } = watch([run('r1', 50), run('r1', 120)]);
    for (let i = 0; i < 2; i += 1) await rollover.delivered('w');
    expect(described).toEqual([]);
    await rollover.delivered('w'); // third signal: a look, still short
    expect(requested).toEqual([]);
    for (let i = 0; i < 3; i += 1) await rollover.delivered('w');
    expect(requested).toEqual(['w']);
    expect(await rollover.mustHold('other')).toBe(false);
  });

  it('holds the events until the new run is up', async () => {
    const { rollover, requested } = watch([run('r1', 150), run('r1', 151), run('r2', 3)]);
    for (let i = 0; i < 3; i += 1) await rollover.delivered('w');
    expect(requested).toEqual(['w']);
    expect(await rollover.mustHold('w')).toBe(true); // r1 still open
    expect(await rollover.mustHold('w')).toBe(false); // r2 runs
    expect(await rollover.mustHold('w')).toBe(false);
  });

  it('stops holding after the longest hold, and when it cannot look', async () => {
    const slow = watch([run('r1', 150)], { maxHoldMs: 1000 });
    for (let i = 0; i < 3; i += 1) await slow.rollover.delivered('w');
    expect(await slow.rollover.mustHold('w')).toBe(true);
    slow.advance(1000);
    expect(await slow.rollover.mustHold('w')).toBe(false);

    const unreachable = watch([run('r1', 150), new Error('unavailable')]);
    for (let i = 0; i < 3; i += 1) await unreachable.rollover.delivered('w');
    expect(await unreachable.rollover.mustHold('w')).toBe(false);
  });

  it('never fails a delivery because the look or the request failed', async () => {
    const { rollover, requested } = watch([new Error('unavailable')]);
    for (let i = 0; i < 6; i += 1) await expect(rollover.delivered('w')).resolves.toBeUndefined();
    expect(requested).toEqual([]);
    expect(await rollover.mustHold('w')).toBe(false);
  });
});
