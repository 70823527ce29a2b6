// The TypeScript forms of deployment triggers, end to end: deploy() only registers; serve() registers and runs the
// flow's worker, and the seed's compound `require: all` trigger with schedule_after runs it after the delay.
import crypto from 'node:crypto';
import path from 'node:path';
import { createApiClient } from '../../../client/api-client';
import { deploy, DeploymentCompoundTrigger, DeploymentEventTrigger, serve } from '../../../client';
import { echoFlow } from '../../fixtures/flows/test-flows';
import { eventually, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const FLOWS = path.resolve(__dirname, '..', '..', 'fixtures', 'flows', 'test-flows.ts');

describe('TypeScript client: deploy() and serve()', () => {
  let tw: TestTripwire;
  beforeAll(async () => {
    tw = await startTestTripwire();
  });
  afterAll(() => tw.stop());

  const api = () => createApiClient({ TRIPWIRE_API_URL: tw.url, TRIPWIRE_API_KEY: tw.apiKey });

  it('deploy() registers the deployment and its triggers as automations it owns, and re-deploying replaces them', async () => {
    const name = `ts-deploy-${crypto.randomBytes(3).toString('hex')}`;
    const first = await deploy(echoFlow, {
      name,
      entrypoint: `${FLOWS}:echoFlow`,
      api: api(),
      triggers: [
        new DeploymentEventTrigger({ expect: ['a.happened'], match: { 'prefect.resource.id': 'r' } }),
        { type: 'event', expect: ['b.happened'] },
      ],
    });
    expect(first.automations.map((a) => a.name)).toEqual([`${name}__automation_1`, `${name}__automation_2`]);
    const second = await deploy(echoFlow, { name, entrypoint: `${FLOWS}:echoFlow`, api: api(), triggers: [] });
    expect(second.id).toBe(first.id);
    const owned = (await (await tw.api('GET', '/api/automations')).json()).filter(
      (a: { owner_resource: string }) => a.owner_resource === `prefect.deployment.${first.id}`,
    );
    expect(owned).toEqual([]);
  });

  it('serve() runs the flow when a compound require-all trigger fires, after schedule_after', async () => {
    const resource = `my.external.resource.${crypto.randomBytes(3).toString('hex')}`;
    const served = await serve(echoFlow, {
      name: `ts-serve-${crypto.randomBytes(3).toString('hex')}`,
      entrypoint: `${FLOWS}:echoFlow`,
      api: api(),
      temporalAddress: process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!,
      triggers: [
        new DeploymentCompoundTrigger({
          require: 'all',
          parameters: { param_1: '{{ event }}' },
          schedule_after: { seconds: 2 },
          triggers: [
            { type: 'event', match: { 'prefect.resource.id': resource }, expect: ['external.resource.pinged'] },
            { type: 'event', match: { 'prefect.resource.id': resource }, expect: ['external.resource.replied'] },
          ],
        }),
      ],
    });
    try {
      for (const event of ['external.resource.pinged', 'external.resource.replied']) {
        const sent = await tw.api('POST', '/api/events', { event, resource: { 'prefect.resource.id': resource } });
        expect(sent.status).toBe(204);
      }
      const runsOf = async () =>
        (await (await tw.api('GET', `/api/flow-runs?deployment=${served.deployment.name}`)).json()) as {
          id: string;
          state: { name: string };
          state_history: { name: string; timestamp: string }[];
          expected_start_time: string;
          start_time: string;
          parameters: { param_1: { event: string } };
        }[];
      const scheduled = await eventually(async () => (await runsOf())[0], 20_000, 'the scheduled run');
      expect(scheduled.state_history[0]!.name).toBe('Scheduled');
      const delay = Date.parse(scheduled.expected_start_time) - Date.parse(scheduled.state_history[0]!.timestamp);
      expect(delay).toBeGreaterThanOrEqual(1900);
      expect(delay).toBeLessThan(5000);
      const done = await eventually(
        async () => (await runsOf()).find((run) => run.state.name === 'Completed'),
        30_000,
        'the run to complete',
      );
      expect(Date.parse(done.start_time)).toBeGreaterThanOrEqual(Date.parse(done.expected_start_time) - 50);
      // The compound firing's event is its last child's: the reply.
      expect(done.parameters.param_1.event).toBe('external.resource.replied');
      expect(await runsOf()).toHaveLength(1);
    } finally {
      await served.stop();
    }
  });
});
