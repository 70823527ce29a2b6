// The `tripwire` CLI: argv → one verb group per file under cli/commands. Errors print the API's message, and the
// exit status is 1 (2 for usage errors, which commander reports).
import 'dotenv/config';
import { Command } from 'commander';
import { ApiClientError, createApiClient } from './client';
import { registerAutomationCommands } from './commands/automations';
import { registerDeploymentCommands } from './commands/deployments';
import { registerEventCommands } from './commands/events';
import { registerWebhookCommands } from './commands/webhooks';

/** Runs the CLI on `argv`. */
export async function runCli(argv: string[]): Promise<void> {
  const program = new Command('tripwire').description('self-hosted webhooks and event triggers on Temporal');
  const client = () => createApiClient();
  registerWebhookCommands(program, client);
  registerEventCommands(program, client);
  registerAutomationCommands(program, client);
  registerDeploymentCommands(program, client);
  program.showHelpAfterError();
  await program.parseAsync(argv);
}

if (require.main === module || process.argv[1]?.endsWith('bin/tripwire.js')) {
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
