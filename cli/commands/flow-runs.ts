// `tripwire run …`: list flow runs (by deployment and state), show one in full, follow one until it ends, cancel one.
// `run watch` (and `run get --follow`) exits 0 when the run ends Completed and 1 when it ends otherwise, as
// `prefect deployment run --watch` does, so scripts can wait on a run.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { ApiClient } from '../../client/api-client';
import { outputFormat, print, report } from './output';

interface State {
  id: string;
  type: string;
  name: string;
  timestamp: string;
  message: string | null;
}

interface EventSummary {
  id: string;
  event: string;
  occurred: string;
  resource_id: string;
}

/** The fields of GET /api/flow-runs/<id> the CLI shows. */
export interface FlowRun {
  id: string;
  name: string;
  deployment_id: string | null;
  flow_name: string;
  work_pool_name: string;
  parameters: Record<string, unknown>;
  state: State;
  state_history: State[];
  run_count: number;
  expected_start_time: string | null;
  start_time: string | null;
  end_time: string | null;
  total_run_time: number;
  result?: unknown;
  error?: string;
  created_by: { type: string; id: string | null; display_value: string | null } | null;
  triggered_by: {
    automation_id: string;
    automation_name: string;
    firing_id: string;
    event: EventSummary | null;
    events: EventSummary[];
  } | null;
  temporal: { namespace: string; workflow_id: string; ui_url: string | null };
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED']);
/** How often `run watch` asks for the run; each ask is one read by primary key. */
const WATCH_INTERVAL_MS = 500;
/** Most lines of a parameter or result value `run get` prints before pointing at `-o json`. */
const VALUE_LINES = 30;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** One line of `run ls` and of `deployment run`. */
export const runRow = (r: Pick<FlowRun, 'id' | 'name' | 'state' | 'expected_start_time'>) => ({
  id: r.id,
  name: r.name,
  state: r.state.name,
  scheduled: r.expected_start_time,
  updated: r.state.timestamp,
});
export const RUN_COLUMNS = ['id', 'name', 'state', 'scheduled', 'updated'];

/** Adds the `run` verbs to `program`. */
export function registerFlowRunCommands(program: Command, client: () => ApiClient): void {
  const run = program.command('run').alias('flow-run').description('flow runs');
  const fetchRun = (id: string) => client().request<FlowRun>('GET', `/api/flow-runs/${encodeURIComponent(id)}`);

  run
    .command('ls')
    .description('list flow runs, newest first')
    .option('--deployment <name>', 'only runs of this deployment')
    .option('--state <name>', 'only runs in this state, e.g. Completed or Late (repeatable, any case)', collect)
    .option('-n, --limit <n>', 'at most this many (default 200)')
    .option('-q, --quiet', 'print only the ids, one per line (for $(...) in scripts)')
    .option('-o, --output <format>', 'table or json')
    .action(
      async (options: { deployment?: string; state?: string[]; limit?: string; quiet?: boolean; output?: string }) => {
        const format = outputFormat(options.output);
        const query = new URLSearchParams();
        if (options.deployment) query.set('deployment', options.deployment);
        for (const state of options.state ?? []) query.append('state', state);
        if (options.limit) query.set('limit', options.limit);
        const runs = await client().request<FlowRun[]>('GET', `/api/flow-runs?${query.toString()}`);
        if (options.quiet) process.stdout.write(runs.map((r) => `${r.id}\n`).join(''));
        else print(format, runs, runs.map(runRow), RUN_COLUMNS);
      },
    );

  run
    .command('get <id>')
    .description('show a flow run: parameters, state history, result or error, trigger, Temporal UI link')
    .option('-f, --follow', 'then print each state change until the run ends (exit 1 unless it ends Completed)')
    .option('-o, --output <format>', 'table or json')
    .action(async (id: string, options: { follow?: boolean; output?: string }) => {
      const format = outputFormat(options.output);
      const one = await fetchRun(id);
      if (format === 'table') process.stdout.write(describeRun(one));
      // With -o json and --follow, the run is printed once, as it ended.
      const last = options.follow
        ? await follow(
            one,
            fetchRun,
            format === 'table' ? stateLine : undefined,
            new Set(one.state_history.map((s) => s.id)),
          )
        : one;
      if (format === 'json') process.stdout.write(JSON.stringify(last, null, 2) + '\n');
      if (options.follow) failUnlessCompleted(last);
    });

  run
    .command('watch <id>')
    .description('print each state change of a flow run until it ends (exit 0 if Completed, else 1)')
    .option('-o, --output <format>', 'table, or json: one state per line')
    .action(async (id: string, options: { output?: string }) => {
      const format = outputFormat(options.output);
      const last = await follow(
        await fetchRun(id),
        fetchRun,
        format === 'json' ? JSON.stringify : stateLine,
        new Set(),
      );
      if (format === 'table' && last.state.type === 'COMPLETED')
        process.stdout.write(`Result: ${JSON.stringify(last.result) ?? 'null'}\n`);
      failUnlessCompleted(last);
    });

  run
    .command('cancel <id...>')
    .description('cancel scheduled or running flow runs')
    .option('-o, --output <format>', 'table or json')
    .action(async (ids: string[], options: { output?: string }) => {
      const format = outputFormat(options.output);
      for (const id of ids) {
        const cancelled = await client().request<FlowRun>('POST', `/api/flow-runs/${encodeURIComponent(id)}/cancel`);
        report(format, cancelled, `Flow run ${id} is ${cancelled.state.name}`);
      }
    });
}

/**
 * Reads the run until it is in a terminal state, writing each state not in `printed` as `line` formats it (nothing
 * without `line`); returns the run as it ended. The whole state history is read each time, so a state that came and
 * went between two reads is printed too.
 */
async function follow(
  first: FlowRun,
  fetchRun: (id: string) => Promise<FlowRun>,
  line: ((state: State) => string) | undefined,
  printed: Set<string>,
): Promise<FlowRun> {
  let current = first;
  for (;;) {
    for (const state of current.state_history) {
      if (printed.has(state.id)) continue;
      printed.add(state.id);
      if (line) process.stdout.write(line(state) + '\n');
    }
    if (TERMINAL.has(current.state.type)) return current;
    await sleep(WATCH_INTERVAL_MS);
    current = await fetchRun(current.id);
  }
}

/** Throws (so the CLI exits 1, saying why) unless `run` ended Completed. */
function failUnlessCompleted(run: FlowRun): void {
  if (run.state.type === 'COMPLETED') return;
  const why = run.error ?? run.state.message;
  throw new Error(`flow run ${run.id} ended ${run.state.name}${why ? `: ${why}` : ''}`);
}

function stateLine(state: State): string {
  return `${state.timestamp}  ${state.name}${state.message ? `  ${state.message}` : ''}`;
}

/** Indents every line but the first of a pretty-printed value, and cuts it after VALUE_LINES lines. */
function block(value: unknown): string {
  const lines = (JSON.stringify(value, null, 2) ?? 'null').split('\n');
  const shown = lines.slice(0, VALUE_LINES);
  if (lines.length > VALUE_LINES) shown.push(`... (${lines.length - VALUE_LINES} more lines: -o json shows all)`);
  return shown.join('\n' + ' '.repeat(14));
}

const field = (label: string, value: string) => `${label.padEnd(14)}${value}\n`;
const eventText = (e: EventSummary) => `${e.event} on ${e.resource_id} at ${e.occurred} (event ${e.id})`;

/** The readable form of one run, for `run get`. */
export function describeRun(run: FlowRun): string {
  let out = '';
  out += field('Flow run', `${run.name}  ${run.id}`);
  out += field('State', `${run.state.name}  since ${run.state.timestamp}`);
  if (run.state.message) out += field('Message', run.state.message);
  out += field('Flow', run.flow_name);
  out += field('Deployment', run.deployment_id ?? '-');
  out += field('Work pool', run.work_pool_name);
  out += field('Scheduled', run.expected_start_time ?? '-');
  if (run.start_time) out += field('Started', run.start_time);
  if (run.end_time) out += field('Ended', run.end_time);
  if (run.run_count > 0) out += field('Run time', `${run.total_run_time} s over ${run.run_count} run(s)`);
  if (run.triggered_by) {
    const t = run.triggered_by;
    out += field('Automation', `${t.automation_name}  ${t.automation_id}`);
    if (t.event) out += field('Trigger event', eventText(t.event));
    for (const e of t.events.filter((e) => e.id !== t.event?.id)) out += field('', eventText(e));
  } else if (run.created_by) {
    out += field('Created by', `${run.created_by.type.toLowerCase()} ${run.created_by.display_value ?? ''}`.trim());
  }
  out += field('Temporal', `${run.temporal.workflow_id} (namespace ${run.temporal.namespace})`);
  if (run.temporal.ui_url) out += field('Temporal UI', run.temporal.ui_url);
  out += field('Parameters', block(run.parameters));
  if (run.state.type === 'COMPLETED') out += field('Result', block(run.result));
  if (run.error) out += field('Error', run.error);
  out += '\nState history\n';
  for (const state of run.state_history) out += `  ${stateLine(state)}\n`;
  return out;
}
