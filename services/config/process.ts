// Process plumbing shared by the entry points: loading config with a readable failure, and graceful shutdown on
// SIGINT/SIGTERM (a second signal forces the exit).
import { type Config, ConfigError, loadConfig } from './env';
import { createLogger, type Logger } from '../logging/logger';

/** Returns the config and a logger, or prints what is wrong with the environment and exits with status 2. */
export function loadConfigOrExit(): { config: Config; logger: Logger } {
  try {
    const config = loadConfig();
    return { config, logger: createLogger(config.logLevel) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tripwire: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * Runs `shutdown` once on SIGINT or SIGTERM, then exits (with process.exitCode when a failure set it, else 0); a second
 * signal exits at once.
 */
export function onShutdownSignal(logger: Logger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    shutdown().then(
      () => process.exit(process.exitCode ?? 0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: (error as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
