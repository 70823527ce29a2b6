// `npm run bench`: every benchmark, one after another, each printing its numbers and its ratio to a baseline
// measured in the same run.
import { benchConsole } from './console';
import { benchEventQueries } from './event-queries';
import { benchEvents } from './events';
import { benchScale } from './scale';
import { benchRuns } from './runs';
import { benchTriggers } from './triggers';
import { benchWebhooks } from './webhooks';

async function main(): Promise<void> {
  const only = process.argv[2];
  if (!only || only === 'webhooks') await benchWebhooks();
  if (!only || only === 'events') await benchEvents();
  if (!only || only === 'queries') await benchEventQueries();
  if (!only || only === 'triggers') await benchTriggers();
  if (!only || only === 'console') await benchConsole();
  if (!only || only === 'scale') await benchScale();
  if (!only || only === 'runs') await benchRuns();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
