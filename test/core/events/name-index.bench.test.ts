// Reports the lookup rate of EventNameIndex at 100, 10k and 100k automations, next to a scan of every automation.
// Timings are printed, never asserted (machines differ); only the answers are checked.
import { eventNameMatcher } from '../../../core/events/matching';
import { EventNameIndex } from '../../../core/events/name-index';

const SIZES = [100, 10_000, 100_000];
const LOOKUPS = 100_000;

interface Automation {
  id: number;
  patterns: string[];
}

/**
 * A population shaped like real automations: most expect exact names (expect ∪ after), some a tenant wildcard,
 * plus a fixed handful on broad patterns (`prefect.flow-run.*`, `prefect.*.Completed`) and catch-alls.
 */
function population(size: number): Automation[] {
  const automations: Automation[] = [];
  for (let id = 0; id < size; id++) {
    if (id < 20) automations.push({ id, patterns: ['prefect.flow-run.*'] });
    else if (id < 25) automations.push({ id, patterns: ['prefect.*.Completed'] });
    else if (id < 28) automations.push({ id, patterns: [] });
    else if (id % 4 === 0) automations.push({ id, patterns: [`tenant-${id}.*`] });
    else automations.push({ id, patterns: [`app-${id}.order.created`, `app-${id}.order.paid`] });
  }
  return automations;
}

function names(size: number): string[] {
  const result: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const id = 28 + ((i * 7919) % (size - 28));
    result.push(
      id % 4 === 0 ? `tenant-${id}.invoice.sent` : `app-${id}.order.paid`,
      'prefect.flow-run.Completed',
      `unknown.event.${i}`,
    );
  }
  return result;
}

function rate(run: () => void, minimumMs: number, minimumRuns: number): number {
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (runs < minimumRuns || elapsed < minimumMs) {
    run();
    runs++;
    elapsed = performance.now() - start;
  }
  return Math.round((runs / elapsed) * 1000);
}

describe('EventNameIndex lookup cost', () => {
  it('reports lookups per second at 100, 10k and 100k automations', () => {
    const rows: Array<Record<string, string | number>> = [];
    for (const size of SIZES) {
      const automations = population(size);
      const index = new EventNameIndex<number>();
      const built = performance.now();
      for (const automation of automations) index.add(automation.patterns, automation.id);
      const buildMs = performance.now() - built;
      const lookups = names(size);

      // The answers, checked against a scan of every automation.
      const matchers = automations.map((a) => ({
        id: a.id,
        all: a.patterns.length === 0,
        match: eventNameMatcher(a.patterns),
      }));
      const scan = (name: string) => matchers.filter((m) => m.all || m.match(name)).map((m) => m.id);
      for (const name of lookups.slice(0, 30)) {
        expect([name, [...index.candidates(name)].sort((a, b) => a - b)]).toEqual([name, scan(name)]);
      }
      expect(index.candidates('prefect.flow-run.Completed').size).toBe(20 + 5 + 3);
      expect(index.candidates('unknown.event.0').size).toBe(3);

      let i = 0;
      const indexed = rate(() => index.candidates(lookups[i++ % lookups.length]!), 200, LOOKUPS);
      let j = 0;
      const scanned = rate(() => scan(lookups[j++ % lookups.length]!), 200, 3);
      rows.push({
        automations: size,
        'build ms': Math.round(buildMs),
        'index lookups/s': indexed,
        'scan lookups/s': scanned,
      });
    }
    console.log(`EventNameIndex (${process.version}):\n${rows.map((row) => JSON.stringify(row)).join('\n')}`);
  });
});
