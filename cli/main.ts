// The `tripwire` CLI: argv → one verb group per file under cli/commands. Errors print the API's message, and the
// exit status is 1 (2 for usage errors, which commander reports).
import 'dotenv/config';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { projectRoot } from '../services/config/project-root';
import { ApiClientError, createApiClient } from '../client/api-client';
import { registerAutomationCommands } from './commands/automations';
import { registerDeploymentCommands } from './commands/deployments';
import { registerEventCommands } from './commands/events';
import { registerFlowRunCommands } from './commands/flow-runs';
import { registerWebhookCommands } from './commands/webhooks';

/** Runs the CLI on `argv`. */
export async function runCli(argv: string[]): Promise<void> {
  const program = new Command('tripwire')
    .description('self-hosted webhooks and event triggers on Temporal')
    .version(packageVersion(), '-V, --version');
  const client = () => createApiClient();
  registerWebhookCommands(program, client);
  registerEventCommands(program, client);
  registerAutomationCommands(program, client);
  registerDeploymentCommands(program, client);
  registerFlowRunCommands(program, client);
  program.showHelpAfterError();
  await program.parseAsync(argv);
}

function packageVersion(): string {
  const manifest = path.join(projectRoot(), 'package.json');
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/**
 * Runs the CLI on this process's arguments and exits non-zero on failure: what the `tripwire` command does. bin/
 * calls it by name, because how the command was reached (a path, an npx or npm-link symlink) says nothing reliable.
 */
export function runFromCommandLine(): void {
  runCli(process.argv).catch((error: unknown) => {
    if (error instanceof ApiClientError) {
      process.stderr.write(`Error: ${error.message}\n`);
      for (const detail of error.details ?? []) process.stderr.write(`  ${detail.path}: ${detail.message}\n`);
    } else {
      process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  });
}

if (require.main === module) runFromCommandLine();
