// A Temporal namespace of its own for a test that needs fixed task-queue names (an example project's work pool): the
// namespace keeps its queues apart from every other test's on the shared dev server.
import crypto from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes } from '../../services/temporal/connect';

/** Registers a fresh namespace with tripwire's search attributes on the dev server at `address`; returns its name. */
export async function createTestNamespace(address = process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS!): Promise<string> {
  const namespace = `test-${crypto.randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
  } finally {
    await connection.close();
  }
  await ensureSearchAttributes(address, namespace);
  return namespace;
}
