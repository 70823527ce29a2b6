// `tripwire events …`: list the feed, tail it live, and emit an event.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ApiClientError, type ApiClient } from '../../client/api-client';
import { outputFormat, print, report } from './output';

interface FeedEvent {
  id: string;
  occurred: string;
  event: string;
  resource: Record<string, string>;
}

interface FilterOptions {
  event?: string[];
  resource?: string[];
  related?: string;
  since?: string;
  until?: string;
}

/** How long `events tail` waits before reconnecting: doubling from the first to the last while tripwire is away. */
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 15_000;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function query(options: FilterOptions & { limit?: string }): string {
  const params = new URLSearchParams();
  for (const e of options.event ?? []) params.append('event', e);
  for (const r of options.resource ?? []) params.append('resource', r);
  if (options.related) params.set('related', options.related);
  if (options.since) params.set('since', options.since);
  if (options.until) params.set('until', options.until);
  if (options.limit) params.set('limit', options.limit);
  const text = params.toString();
  return text ? `?${text}` : '';
}

function withFilters(command: Command): Command {
  return command
    .option('-e, --event <pattern>', 'event name glob (repeatable)', collect)
    .option('-r, --resource <pattern>', 'resource id glob (repeatable)', collect)
    .option('--related <id>', 'related resource id')
    .option('--since <time>', 'ISO time')
    .option('--until <time>', 'ISO time');
}

const row = (e: FeedEvent) => ({
  occurred: e.occurred,
  event: e.event,
  resource: e.resource['prefect.resource.id'],
  id: e.id,
});

/** Adds the `events` verbs to `program`. */
export function registerEventCommands(program: Command, client: () => ApiClient): void {
  const events = program.command('events').alias('event').description('the event feed');

  withFilters(events.command('ls').description('list events, newest first'))
    .option('-n, --limit <n>', 'how many', '50')
    .option('-o, --output <format>', 'table or json')
    .action(async (options: FilterOptions & { limit?: string; output?: string }) => {
      const page = await client().request<{ events: FeedEvent[] }>('GET', `/api/events${query(options)}`);
      print(outputFormat(options.output), page.events, page.events.map(row), ['occurred', 'event', 'resource', 'id']);
    });

  withFilters(
    events
      .command('tail')
      .description('follow new events as they arrive, reconnecting without gaps if the stream drops (Ctrl-C stops)'),
  ).action(async (options: FilterOptions) => {
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    let lastId: string | undefined;
    let wait = RECONNECT_FIRST_MS;
    while (!controller.signal.aborted) {
      try {
        await client().stream(
          `/api/events/stream${query(options)}`,
          (data, id) => {
            lastId = id ?? lastId;
            wait = RECONNECT_FIRST_MS;
            const e = JSON.parse(data) as FeedEvent;
            process.stdout.write(`${e.occurred}  ${e.event}  ${e.resource['prefect.resource.id']}  ${e.id}\n`);
          },
          controller.signal,
          lastId,
        );
        if (controller.signal.aborted) break;
        process.stderr.write('the stream ended; reconnecting\n');
      } catch (error) {
        if (controller.signal.aborted) break;
        // A refused filter or key will not get better by asking again; an outage or a restart will.
        if (error instanceof ApiClientError && error.status > 0 && error.status < 500) throw error;
        process.stderr.write(`${(error as Error).message}; reconnecting\n`);
      }
      await sleep(wait, undefined, { signal: controller.signal }).catch(() => undefined);
      wait = Math.min(wait * 2, RECONNECT_MAX_MS);
    }
  });

  events
    .command('emit <event>')
    .description('emit an event')
    .requiredOption('--resource <id>', 'the resource id (prefect.resource.id)')
    .option('--resource-label <key=value>', 'another resource label (repeatable)', collect)
    .option('--payload <json>', 'payload as a JSON object', '{}')
    .option('-o, --output <format>', 'table or json')
    .action(
      async (
        name: string,
        options: { resource: string; resourceLabel?: string[]; payload: string; output?: string },
      ) => {
        const format = outputFormat(options.output);
        let payload: unknown;
        try {
          payload = JSON.parse(options.payload);
        } catch (error) {
          throw new Error(`--payload is not valid JSON: ${(error as Error).message}`);
        }
        const labels = Object.fromEntries(
          (options.resourceLabel ?? []).map((pair) => {
            const at = pair.indexOf('=');
            if (at < 1) throw new Error(`--resource-label must be key=value, got "${pair}"`);
            return [pair.slice(0, at), pair.slice(at + 1)];
          }),
        );
        const event = {
          id: crypto.randomUUID(),
          occurred: new Date().toISOString(),
          event: name,
          resource: { ...labels, 'prefect.resource.id': options.resource },
          payload,
        };
        await client().request('POST', '/api/events', [event]);
        report(format, event, `Emitted event ${event.id}`);
      },
    );
}
