// The Temporal SDK's runtime, installed once per process before any worker or native connection exists (the SDK
// allows one, and makes a default one at the first connection otherwise).
// - Its log: the SDK logs every worker state change and webpack's whole bundle report at INFO to the console.
//   tripwire routes the SDK's log through its own logger instead, one level down (SDK INFO is tripwire debug), so the
//   log stays readable and its redaction applies.
// - Its metrics: buffered, and merged into the process's /metrics (sdk-metrics.ts).
import { type LogLevel as SdkLogLevel, type Logger as SdkLogger, type LogMetadata, Runtime } from '@temporalio/worker';
import type { Logger } from '../logging/logger';
import { sdkMetrics } from './sdk-metrics';

let installed = false;

/** Returns an SDK logger writing to `logger`: SDK warnings and errors as such, SDK info as debug, the rest dropped. */
export function sdkLogger(logger: Logger): SdkLogger {
  const sdk = logger.child({ component: 'temporal-sdk' });
  const log = (level: SdkLogLevel, message: string, meta?: LogMetadata) => {
    if (level === 'ERROR') sdk.error(message, meta);
    else if (level === 'WARN') sdk.warn(message, meta);
    else if (level === 'INFO') sdk.debug(message, meta);
  };
  return {
    log,
    trace: () => undefined,
    debug: () => undefined,
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/** Installs the SDK runtime with `logger` and the metrics buffer, once per process; calls after the first (or after
 * the SDK made its own runtime) do nothing. */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      logger: sdkLogger(logger),
      telemetryOptions: {
        // The Rust core logs on its own (a poll retried while Temporal is away is a WARN); forward it here too.
        logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
        metrics: { buffer: sdkMetrics().buffer, metricPrefix: 'temporal_', attachServiceName: false },
      },
    });
  } catch {
    // A runtime already exists (another part of the process connected first); its logger and metrics stay.
  }
}
