// `tripwire automation …`: list, show, pause, resume and delete automations.
import type { Command } from 'commander';
import type { ApiClient } from '../../client/api-client';
import { outputFormat, print, report } from './output';

interface Automation {
  id: string;
  name: string;
  enabled: boolean;
  trigger: { type: string };
  actions: { type: string }[];
}

const row = (a: Automation) => ({
  id: a.id,
  name: a.name,
  enabled: a.enabled,
  trigger: a.trigger.type,
  actions: a.actions.map((x) => x.type).join(', '),
});

/** Adds the `automation` verbs to `program`. */
export function registerAutomationCommands(program: Command, client: () => ApiClient): void {
  const automation = program.command('automation').alias('automations').description('manage automations');
  const columns = ['id', 'name', 'enabled', 'trigger', 'actions'];

  automation
    .command('ls')
    .description('list automations')
    .option('-o, --output <format>', 'table or json')
    .action(async (options: { output?: string }) => {
      const all = await client().request<Automation[]>('GET', '/api/automations');
      print(outputFormat(options.output), all, all.map(row), columns);
    });

  automation
    .command('get <id>')
    .description('show one automation')
    .option('-o, --output <format>', 'table or json')
    .option('--state', "include what the trigger's workflow is waiting for")
    .action(async (id: string, options: { output?: string; state?: boolean }) => {
      const api = client();
      const one = await api.request<Automation>('GET', `/api/automations/${encodeURIComponent(id)}`);
      const state = options.state
        ? await api.request<unknown>('GET', `/api/automations/${encodeURIComponent(id)}/state`)
        : undefined;
      const format = outputFormat(options.output);
      print(format, state ? { ...one, state } : one, [row(one)], columns);
      if (state && format === 'table') process.stdout.write(JSON.stringify(state, null, 2) + '\n');
    });

  for (const [verb, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    automation
      .command(`${verb} <id>`)
      .description(enabled ? 'resume a paused automation' : 'pause an automation: its trigger stops evaluating')
      .option('-o, --output <format>', 'table or json')
      .action(async (id: string, options: { output?: string }) => {
        const format = outputFormat(options.output);
        const updated = await client().request<Automation>('PATCH', `/api/automations/${encodeURIComponent(id)}`, {
          enabled,
        });
        report(format, updated, `Automation ${id} ${enabled ? 'resumed' : 'paused'}`);
      });
  }

  automation
    .command('delete <id>')
    .description('delete an automation; its workflow ends')
    .option('-o, --output <format>', 'table or json')
    .action(async (id: string, options: { output?: string }) => {
      const format = outputFormat(options.output);
      await client().request('DELETE', `/api/automations/${encodeURIComponent(id)}`);
      report(format, { id, deleted: true }, `Automation ${id} deleted`);
    });
}
