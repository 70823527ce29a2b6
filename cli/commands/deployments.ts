// `tripwire deploy`, `tripwire deployment …` and `tripwire worker --pool`: register deployments from prefect.yaml (with
// `--trigger` overriding a deployment's triggers), start flow runs, run a pool worker. `run …` is in flow-runs.ts.
import path from 'node:path';
import type { Command } from 'commander';
import { loadPrefectYaml } from '../../services/deployments/prefect-yaml';
import { parseTriggerArgs } from '../../services/deployments/trigger-args';
import { createLogger } from '../../services/logging/logger';
import { projectRoot } from '../../services/config/project-root';
import type { ApiClient } from '../../client/api-client';
import { type FlowRun, RUN_COLUMNS, runRow } from './flow-runs';
import { outputFormat, print, report } from './output';
import { apiTarget, temporalTarget } from '../../services/config/env';

interface Deployment {
  id: string;
  name: string;
  entrypoint: string;
  work_pool: string;
  base_dir: string;
  automations?: { id: string; name: string }[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the deployment and worker verbs to `program`. */
export function registerDeploymentCommands(program: Command, client: () => ApiClient): void {
  program
    .command('deploy [entrypoint]')
    .description('register deployments from prefect.yaml (or one ENTRYPOINT) with their triggers')
    .option('-n, --name <name>', 'deployment name (repeatable; default: every deployment in the file)', collect)
    .option(
      '--trigger <value>',
      'a trigger as JSON, or a .yaml/.json file with a top-level `triggers` list (repeatable)',
      collect,
    )
    .option('--prefect-file <file>', 'the project file', 'prefect.yaml')
    .option('-p, --pool <name>', 'work pool for ENTRYPOINT', 'default')
    .option('--entrypoint-type <type>', 'for ENTRYPOINT: workflow (default) or function')
    .option('--activities <file>', "for ENTRYPOINT: a module whose exported functions are the workflow's activities")
    .option('-o, --output <format>', 'table or json')
    .action(
      async (
        entrypoint: string | undefined,
        options: {
          name?: string[];
          trigger?: string[];
          prefectFile: string;
          pool: string;
          entrypointType?: string;
          activities?: string;
          output?: string;
        },
      ) => {
        const cwd = process.cwd();
        // Parse everything before sending anything, so a bad --trigger changes nothing.
        const cliTriggers = options.trigger?.length ? parseTriggerArgs(options.trigger, cwd) : undefined;
        let deployments: { body: Record<string, unknown>; name: string }[];
        if (entrypoint) {
          const name = options.name?.[0];
          if (!name) throw new Error('give the deployment a name with -n when deploying an entrypoint');
          const [file, fn] = [
            entrypoint.slice(0, entrypoint.lastIndexOf(':')),
            entrypoint.slice(entrypoint.lastIndexOf(':') + 1),
          ];
          deployments = [
            {
              name,
              body: {
                name,
                entrypoint: `${path.resolve(cwd, file)}:${fn}`,
                ...(options.entrypointType ? { entrypoint_type: options.entrypointType } : {}),
                ...(options.activities ? { activities: path.resolve(cwd, options.activities) } : {}),
                work_pool: { name: options.pool },
                triggers: cliTriggers ?? [],
              },
            },
          ];
        } else {
          const project = loadPrefectYaml(path.resolve(cwd, options.prefectFile));
          const wanted = options.name?.length
            ? project.deployments.filter((d) => options.name!.includes(d.name))
            : project.deployments;
          const missing = (options.name ?? []).filter((n) => !project.deployments.some((d) => d.name === n));
          if (missing.length > 0)
            throw new Error(`no deployment named ${missing.join(', ')} in ${options.prefectFile}`);
          deployments = wanted.map((d) => ({
            name: d.name,
            body: { ...d, ...(cliTriggers ? { triggers: cliTriggers } : {}) },
          }));
        }
        const api = client();
        const results: Deployment[] = [];
        for (const deployment of deployments)
          results.push(await api.request<Deployment>('POST', '/api/deployments', deployment.body));
        print(
          outputFormat(options.output),
          results,
          results.map((d) => ({
            name: d.name,
            id: d.id,
            work_pool: d.work_pool,
            entrypoint: d.entrypoint,
            automations: (d.automations ?? []).map((a) => a.name).join(', '),
          })),
          ['name', 'id', 'work_pool', 'entrypoint', 'automations'],
        );
      },
    );

  const deployment = program.command('deployment').alias('deployments').description('inspect and run deployments');
  deployment
    .command('ls')
    .description('list deployments')
    .option('-o, --output <format>', 'table or json')
    .action(async (options: { output?: string }) => {
      const all = await client().request<Deployment[]>('GET', '/api/deployments');
      print(outputFormat(options.output), all, all as unknown as Record<string, unknown>[], [
        'name',
        'id',
        'work_pool',
        'entrypoint',
      ]);
    });
  deployment
    .command('run <name>')
    .description('start a flow run')
    .option('--param <key=json>', 'a parameter (value parsed as JSON, else kept as text; repeatable)', collect)
    .option('--schedule-after <duration>', 'delay: seconds or ISO 8601 (PT2H)')
    .option('-o, --output <format>', 'table or json')
    .action(async (name: string, options: { param?: string[]; scheduleAfter?: string; output?: string }) => {
      const parameters = Object.fromEntries(
        (options.param ?? []).map((pair) => {
          const at = pair.indexOf('=');
          if (at < 1) throw new Error(`--param must be key=value, got "${pair}"`);
          const raw = pair.slice(at + 1);
          let value: unknown = raw;
          try {
            value = JSON.parse(raw);
          } catch {
            // plain text
          }
          return [pair.slice(0, at), value];
        }),
      );
      const scheduleAfter =
        options.scheduleAfter && /^\d+(\.\d+)?$/.test(options.scheduleAfter)
          ? Number(options.scheduleAfter)
          : options.scheduleAfter;
      const run = await client().request<FlowRun>('POST', `/api/deployments/${encodeURIComponent(name)}/runs`, {
        parameters,
        ...(scheduleAfter !== undefined ? { schedule_after: scheduleAfter } : {}),
      });
      print(outputFormat(options.output), run, [runRow(run)], RUN_COLUMNS);
    });
  deployment
    .command('delete <name>')
    .description('delete a deployment and the automations it owns')
    .option('-o, --output <format>', 'table or json')
    .action(async (name: string, options: { output?: string }) => {
      const format = outputFormat(options.output);
      await client().request('DELETE', `/api/deployments/${encodeURIComponent(name)}`);
      report(format, { name, deleted: true }, `Deployment ${name} deleted`);
    });

  program
    .command('worker')
    .description("run the flows of a work pool's deployments")
    .requiredOption('--pool <name>', 'the work pool (task queue)')
    .action(async (options: { pool: string }) => {
      const api = client();
      const logger = createLogger(apiTarget().logLevel);
      // Loaded here: the Temporal worker package takes most of a second to load, which every other verb would pay.
      const { PoolWorker } = await import('../../worker/pool-worker');
      const worker = new PoolWorker(
        { list: (pool) => api.request<Deployment[]>('GET', `/api/deployments?work_pool=${encodeURIComponent(pool)}`) },
        {
          ...temporalTarget(),
          pool: options.pool,
          nodeModules: path.join(projectRoot(), 'node_modules'),
        },
        logger,
      );
      await worker.start();
      process.stdout.write(`Worker polling work pool ${options.pool} (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await worker.stop();
    });
}
