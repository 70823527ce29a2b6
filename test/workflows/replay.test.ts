// Replays every recorded history in test/fixtures/histories with today's workflow code: running automations and flow
// runs outlive upgrades, so a change that alters a workflow's commands must go behind patched() (or a new workflow
// type), and this test fails on any nondeterminism it would cause. Fixtures are recorded by record-histories.int.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { flowStartedInterceptorModule } from '../../services/deployments/flow-bundle';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type ReplayResult,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';

const HISTORIES = path.resolve(__dirname, '..', 'fixtures', 'histories');

/** Which bundle replays a fixture, by the prefix of its file name. */
const BUNDLES: Record<string, string> = {
  automation: path.resolve(__dirname, '..', '..', 'workflows', 'index.ts'),
  'flow-run': path.resolve(__dirname, '..', '..', 'workflows', 'index.ts'),
  'test-flow': path.resolve(__dirname, '..', 'fixtures', 'flows', 'test-flows.ts'),
};

const files = fs
  .readdirSync(HISTORIES)
  .filter((file) => file.endsWith('.json'))
  .sort();
const bundleOf = (file: string): string => {
  const prefix = Object.keys(BUNDLES).find((p) => file.startsWith(`${p}-`));
  if (!prefix) throw new Error(`${file}: name a fixture after its workflow (${Object.keys(BUNDLES).join(', ')})`);
  return BUNDLES[prefix]!;
};

describe('replaying recorded workflow histories', () => {
  const results = new Map<string, ReplayResult>();

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const byBundle = new Map<string, string[]>();
    for (const file of files) byBundle.set(bundleOf(file), [...(byBundle.get(bundleOf(file)) ?? []), file]);
    for (const [workflowsPath, group] of byBundle) {
      // Flows are bundled as the pool worker bundles them: with the interceptor that reports their start.
      const bundle: WorkflowBundle = await bundleWorkflowCode({
        workflowsPath,
        workflowInterceptorModules: workflowsPath === BUNDLES['test-flow'] ? [flowStartedInterceptorModule()] : [],
        logger: new DefaultLogger('WARN'),
      });
      const histories = group.map((file) => ({
        workflowId: file,
        history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'))),
      }));
      for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
        results.set(result.workflowId, result);
      }
    }
  }, 180_000);

  it('has fixtures of every workflow type', () => {
    for (const prefix of Object.keys(BUNDLES)) expect(files.some((file) => file.startsWith(`${prefix}-`))).toBe(true);
  });

  it.each(files)('%s replays without nondeterminism', (file) => {
    const result = results.get(file);
    expect(result).toBeDefined();
    expect(result!.error).toBeUndefined();
  });
});
