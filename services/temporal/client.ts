// The Temporal client used by the API and the router. The connection is lazy, so the API starts (and /readyz can
// say what is wrong) even while Temporal is down; calls made during an outage fail and are retried by their callers.
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';

export interface TemporalHandle {
  readonly client: Client;
  readonly connection: Connection;
  readonly namespace: string;
  readonly address: string;
  /** Resolves when Temporal answers within `timeoutMs`. */
  check(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Returns a client for `address`; nothing is dialled until the first call. `interceptors` see every workflow call. */
export function createTemporalClient(
  address: string,
  namespace: string,
  interceptors: WorkflowClientInterceptor[] = [],
): TemporalHandle {
  const connection = Connection.lazy({ address, connectTimeout: 5000 });
  const client = new Client({ connection, namespace, interceptors: { workflow: interceptors } });
  // The SDK retries an unanswered call on a timer, and a retry that fires after close() throws from that timer
  // ("Channel has been shut down"); so close() first lets the checks in flight (each bounded by its deadline) end.
  const checks = new Set<Promise<unknown>>();
  return {
    client,
    connection,
    namespace,
    address,
    check: async (timeoutMs = 3000) => {
      const call = connection.withDeadline(Date.now() + timeoutMs, () =>
        connection.workflowService.describeNamespace({ namespace }),
      );
      checks.add(call);
      try {
        await call;
      } finally {
        checks.delete(call);
      }
    },
    close: async () => {
      await Promise.allSettled([...checks]);
      await connection.close();
    },
  };
}
