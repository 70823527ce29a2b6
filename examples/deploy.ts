// deploy(): registers a deployment of myFlow with a compound trigger, to be run by the work pool's worker
// (npx tripwire worker --pool my-process-work-pool), as Prefect's `flow.deploy()` does. Run it: npx tsx deploy.ts
import path from 'node:path';
import { DeploymentCompoundTrigger, deploy } from 'tripwire';
import { myFlow } from './flows/my_flow';

async function main(): Promise<void> {
  const deployment = await deploy(myFlow, {
    name: 'my-ts-deployment',
    entrypoint: `${path.join(__dirname, 'flows', 'my_flow.ts')}:myFlow`,
    work_pool: 'my-process-work-pool',
    triggers: [
      new DeploymentCompoundTrigger({
        enabled: true,
        name: 'my-compound-trigger',
        require: 'all',
        triggers: [
          { type: 'event', match: { 'prefect.resource.id': 'my.ts.resource' }, expect: ['external.resource.pinged'] },
          { type: 'event', match: { 'prefect.resource.id': 'my.ts.resource' }, expect: ['external.resource.replied'] },
        ],
        parameters: { param_1: '{{ event }}' },
      }),
    ],
  });
  process.stdout.write(`Deployed ${deployment.name}: ${deployment.automations.map((a) => a.name).join(', ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
