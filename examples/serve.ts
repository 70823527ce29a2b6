// serve(): registers a deployment of myFlow with its triggers, and runs the flow's worker in this process until
// Ctrl-C, as Prefect's `flow.serve()` does. Run it from this folder: npx tsx serve.ts
import path from 'node:path';
import { DeploymentEventTrigger, serve } from 'tripwire';
import { myFlow } from './flows/my_flow';

async function main(): Promise<void> {
  const served = await serve(myFlow, {
    name: 'my-served-deployment',
    entrypoint: `${path.join(__dirname, 'flows', 'my_flow.ts')}:myFlow`,
    triggers: [
      new DeploymentEventTrigger({
        enabled: true,
        match: { 'prefect.resource.id': 'my.served.resource' },
        expect: ['external.resource.pinged'],
        parameters: { param_1: '{{ event }}' },
      }),
    ],
  });
  process.stdout.write(
    `Serving ${served.deployment.name} on work pool ${served.deployment.work_pool} (Ctrl-C stops)\n`,
  );
  const stop = () => void served.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await served.done;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
