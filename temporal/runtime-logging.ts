// The Temporal SDK logs every worker state change and webpack's whole bundle report at INFO to the console. tripwire
// routes the SDK's log through its own logger instead, one level down (SDK INFO is tripwire debug), so the log stays
// readable and its redaction applies.
import { type LogLevel as SdkLogLevel, type LogMetadata, Runtime } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

let installed = false;

/** Installs the SDK runtime with `logger`, once per process; later calls (and calls after the SDK made its own runtime) do nothing. */
export function installTemporalLogging(logger: Logger): void {
  if (installed) return;
  installed = true;
  const sdk = logger.child({ component: 'temporal-sdk' });
  const forward = (level: SdkLogLevel, message: string, meta?: LogMetadata) => {
    const fields = meta;
    if (level === 'ERROR') sdk.error(message, fields);
    else if (level === 'WARN') sdk.warn(message, fields);
    else if (level === 'INFO') sdk.debug(message, fields);
  };
  try {
    Runtime.install({
      logger: {
        log: forward,
        trace: () => undefined,
        debug: () => undefined,
        info: (message, meta) => forward('INFO', message, meta),
        warn: (message, meta) => forward('WARN', message, meta),
        error: (message, meta) => forward('ERROR', message, meta),
      },
      // The Rust core logs on its own (a poll retried while Temporal is away is a WARN); forward it here too.
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // A runtime already exists (another part of the process connected first); its logger stays.
  }
}
