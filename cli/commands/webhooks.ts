// `tripwire webhook …`: the same verbs as `prefect cloud webhook`, against tripwire's API.
import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import type { ApiClient } from '../../client/api-client';
import { outputFormat, print, report } from './output';

interface Webhook {
  id: string;
  name: string;
  description: string;
  template: string;
  enabled: boolean;
  slug: string;
  url: string;
}

const COLUMNS = ['id', 'slug', 'name', 'enabled', 'template'];

/** What POST /api/webhooks/preview answers. */
type PreviewOutcome =
  | { ok: true; rendered: string; events: unknown[] }
  | { ok: false; stage: string; reason: string; rendered?: string; line?: number; column?: number };

/** How long a question waits for an answer piped in (`echo y | tripwire webhook rotate ID`) before it counts as no. */
const PIPED_ANSWER_MS = 2000;

/**
 * Asks `question` and resolves true for "y" or "yes". On a terminal it waits for the answer; otherwise it takes the
 * first line piped in, and an empty or silent input (a script that forgot --yes) is a no, after a short wait rather
 * than a hang. The question goes to stderr, so that `-o json` output stays clean.
 */
async function confirm(question: string): Promise<boolean> {
  const terminal = Boolean(process.stdin.isTTY);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      if (!terminal) setTimeout(() => resolve(''), PIPED_ANSWER_MS).unref();
      rl.question(`${question} [y/N] `, resolve);
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
    process.stdin.destroy(); // read no further: an open pipe would keep the process from exiting
  }
}

function templateFrom(options: { template?: string; templateFile?: string }): string | undefined {
  if (options.template !== undefined && options.templateFile !== undefined) {
    throw new Error('give either -t/--template or --template-file, not both');
  }
  return options.templateFile !== undefined ? fs.readFileSync(options.templateFile, 'utf8') : options.template;
}

/** Adds the `webhook` verbs to `program`. */
export function registerWebhookCommands(program: Command, client: () => ApiClient): void {
  const webhook = program.command('webhook').alias('webhooks').description('manage webhooks');

  webhook
    .command('create <name>')
    .description('create a webhook')
    .option('-t, --template <template>', 'the Jinja template that turns a request into an event')
    .option('--template-file <file>', 'read the template from a file')
    .option('-d, --description <text>', 'description', '')
    .option('-o, --output <format>', 'table or json')
    .action(
      async (
        name: string,
        options: { template?: string; templateFile?: string; description: string; output?: string },
      ) => {
        const template = templateFrom(options);
        if (!template) {
          throw new Error(
            'a template is required (-t or --template-file); at minimum it must render ' +
              '{"event": "<name>", "resource": {"prefect.resource.id": "<id>"}}',
          );
        }
        const created = await client().request<Webhook>('POST', '/api/webhooks', {
          name,
          template,
          description: options.description,
        });
        print(
          outputFormat(options.output),
          created,
          [created as unknown as Record<string, unknown>],
          [...COLUMNS, 'url'],
        );
      },
    );

  webhook
    .command('ls')
    .description('list webhooks')
    .option('-o, --output <format>', 'table or json')
    .action(async (options: { output?: string }) => {
      const all = await client().request<Webhook[]>('GET', '/api/webhooks');
      print(outputFormat(options.output), all, all as unknown as Record<string, unknown>[], COLUMNS);
    });

  webhook
    .command('get <id>')
    .description('show one webhook')
    .option('-o, --output <format>', 'table or json')
    .action(async (id: string, options: { output?: string }) => {
      const one = await client().request<Webhook>('GET', `/api/webhooks/${encodeURIComponent(id)}`);
      print(outputFormat(options.output), one, [one as unknown as Record<string, unknown>], [...COLUMNS, 'url']);
    });

  webhook
    .command('update <id>')
    .description('change a webhook; omitted options keep their values')
    .option('-n, --name <name>', 'new name')
    .option('-d, --description <text>', 'new description')
    .option('-t, --template <template>', 'new template')
    .option('--template-file <file>', 'read the new template from a file')
    .option('-o, --output <format>', 'table or json')
    .action(
      async (
        id: string,
        options: { name?: string; description?: string; template?: string; templateFile?: string; output?: string },
      ) => {
        const template = templateFrom(options);
        const changes = {
          ...(options.name ? { name: options.name } : {}),
          ...(options.description !== undefined && options.description !== ''
            ? { description: options.description }
            : {}),
          ...(template ? { template } : {}),
        };
        const updated = await client().request<Webhook>('PATCH', `/api/webhooks/${encodeURIComponent(id)}`, changes);
        print(outputFormat(options.output), updated, [updated as unknown as Record<string, unknown>], COLUMNS);
      },
    );

  webhook
    .command('toggle <id>')
    .description('enable a disabled webhook, or disable an enabled one')
    .option('-o, --output <format>', 'table or json')
    .action(async (id: string, options: { output?: string }) => {
      const format = outputFormat(options.output);
      const api = client();
      const current = await api.request<Webhook>('GET', `/api/webhooks/${encodeURIComponent(id)}`);
      const updated = await api.request<Webhook>('PATCH', `/api/webhooks/${encodeURIComponent(id)}`, {
        enabled: !current.enabled,
      });
      report(format, updated, `Webhook is now ${updated.enabled ? 'enabled' : 'disabled'}`);
    });

  webhook
    .command('rotate <id>')
    .description('give the webhook a new URL; the old one stops working at once')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-o, --output <format>', 'table or json')
    .action(async (id: string, options: { yes?: boolean; output?: string }) => {
      const format = outputFormat(options.output);
      if (!options.yes && !(await confirm('Rotating the URL breaks every sender still using the old one. Rotate?'))) {
        throw new Error('not rotated (pass --yes to skip the question)');
      }
      const rotated = await client().request<Webhook>('POST', `/api/webhooks/${encodeURIComponent(id)}/rotate`);
      report(format, rotated, `Successfully rotated webhook URL to ${rotated.url}`);
    });

  webhook
    .command('preview [id]')
    .description("render a sample request through a template (a webhook's, or -t) and validate it; stores nothing")
    .option('-t, --template <template>', "the template to try (default: the webhook's own)")
    .option('--template-file <file>', 'read the template from a file')
    .option('-b, --body <text>', 'the request body', '')
    .option('--body-file <file>', 'read the request body from a file (- for stdin)')
    .option('-H, --header <header...>', 'a request header, "Name: value" (repeatable)')
    .option('-X, --method <method>', 'the request method', 'POST')
    .option('-o, --output <format>', 'table or json')
    .action(
      async (
        id: string | undefined,
        options: {
          template?: string;
          templateFile?: string;
          body: string;
          bodyFile?: string;
          header?: string[];
          method: string;
          output?: string;
        },
      ) => {
        const template = templateFrom(options);
        if (!id && !template) throw new Error('give a webhook id, or a template (-t or --template-file)');
        const headers: Record<string, string> = {};
        for (const header of options.header ?? []) {
          const colon = header.indexOf(':');
          if (colon < 1) throw new Error(`a header is "Name: value", got "${header}"`);
          headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
        }
        const body =
          options.bodyFile === undefined
            ? options.body
            : fs.readFileSync(options.bodyFile === '-' ? 0 : options.bodyFile, 'utf8');
        const outcome = await client().request<PreviewOutcome>(
          'POST',
          id ? `/api/webhooks/${encodeURIComponent(id)}/preview` : '/api/webhooks/preview',
          { ...(template ? { template } : {}), request: { method: options.method.toUpperCase(), headers, body } },
        );
        const format = outputFormat(options.output);
        if (format === 'json') report(format, outcome, '');
        else if (outcome.ok) process.stdout.write(JSON.stringify(outcome.events, null, 2) + '\n');
        else {
          const where = outcome.line !== undefined ? ` (line ${outcome.line}, column ${outcome.column ?? 0})` : '';
          process.stderr.write(`${outcome.stage}: ${outcome.reason}${where}\n`);
          if (outcome.rendered !== undefined) process.stderr.write(`rendered:\n${outcome.rendered}\n`);
        }
        if (!outcome.ok) process.exitCode = 1;
      },
    );

  webhook
    .command('delete <id>')
    .description('delete a webhook')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-o, --output <format>', 'table or json')
    .action(async (id: string, options: { yes?: boolean; output?: string }) => {
      const format = outputFormat(options.output);
      if (process.stdin.isTTY && !options.yes && !(await confirm(`Delete webhook ${id}?`))) {
        throw new Error('not deleted');
      }
      await client().request('DELETE', `/api/webhooks/${encodeURIComponent(id)}`);
      report(format, { id, deleted: true }, `Webhook ${id} deleted`);
    });
}
