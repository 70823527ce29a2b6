// Bundles workflow flows for a pool worker's sandbox, with the interceptor that tells a run's workflow when its flow
// starts. Used by the pool worker and by the deploy-time check, so a flow that deploys is one the worker can bundle.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import type { Logger } from '../logging/logger';
import { sdkLogger } from '../temporal/runtime';
import { FLOW_NOT_SERVED } from '../../workflows/activity-contracts';

/** The workflow interceptor module every flow bundle carries (workflows/flow-started-interceptor.ts). */
export function flowStartedInterceptorModule(): string {
  const compiled = path.resolve(__dirname, '..', '..', 'workflows', 'flow-started-interceptor.js');
  return fs.existsSync(compiled) ? compiled : compiled.replace(/\.js$/, '.ts');
}

/**
 * Bundles the workflow functions named by `exports` (workflow type → absolute file) into one bundle. `nodeModules` is
 * the project's own, so flows outside the project can import @temporalio/workflow. Each of `broken` (workflow type →
 * reason) becomes a workflow that fails at once, non-retryably, with the reason.
 */
export async function bundleFlows(
  exports: ReadonlyMap<string, string>,
  options: {
    nodeModules: string;
    logger: Logger;
    broken?: ReadonlyMap<string, string>;
    /** More workflow interceptor modules (tracing's), after the one that reports the flow's start. */
    interceptorModules?: readonly string[];
  },
): Promise<WorkflowBundle> {
  // Loaded here: the worker package takes most of a second to load, which processes that never bundle should not pay.
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-flows-'));
  // The bundler logs what went wrong and throws only "Webpack finished with errors": keep its errors for the message.
  const logger = sdkLogger(options.logger);
  const problems: string[] = [];
  const collecting: typeof logger = {
    ...logger,
    log: (level, message, meta) => {
      if (level === 'ERROR') problems.push(message);
      logger.log(level, message, meta);
    },
    error: (message, meta) => {
      problems.push(message);
      logger.error(message, meta);
    },
  };
  try {
    const entry = path.join(dir, 'flows.ts');
    const lines = [...exports].map(
      ([name, file]) => `export { ${name} } from ${JSON.stringify(file.replace(/\.(ts|js)$/, ''))};`,
    );
    if (options.broken?.size) {
      lines.push(`import { ApplicationFailure } from '@temporalio/workflow';`);
      for (const [name, reason] of options.broken) {
        lines.push(
          `export async function ${name}(): Promise<never> { throw ApplicationFailure.nonRetryable(${JSON.stringify(reason)}, ${JSON.stringify(FLOW_NOT_SERVED)}); }`,
        );
      }
    }
    fs.writeFileSync(entry, lines.join('\n') + '\n');
    return await bundleWorkflowCode({
      workflowsPath: entry,
      workflowInterceptorModules: [flowStartedInterceptorModule(), ...(options.interceptorModules ?? [])],
      webpackConfigHook: (config) => {
        const resolve = config.resolve ?? {};
        resolve.modules = [...(resolve.modules ?? ['node_modules']), options.nodeModules];
        return { ...config, resolve };
      },
      // webpack's report of each bundle goes to tripwire's log at debug; its warnings and errors still show.
      logger: collecting,
    });
  } catch (error) {
    const errors = problems.flatMap(webpackErrors);
    if (errors.length === 0) throw error;
    throw new Error(errors.join('\n'), { cause: error });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The `ERROR in …` paragraphs of a webpack report (the whole message when it has none). */
function webpackErrors(report: string): string[] {
  const blocks = report.split(/\n\s*\n/).filter((block) => /ERROR in /.test(block));
  const found = blocks.map((block) =>
    block
      .slice(block.indexOf('ERROR in '))
      .split('\n')
      .filter((line) => !/^\s*@ /.test(line))
      .map((line) => line.trim())
      .join(' '),
  );
  return found.length > 0 ? found : report.includes('Webpack') ? [] : [report];
}
