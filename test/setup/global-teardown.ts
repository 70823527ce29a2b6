// Stops what global-setup started and removes its files.
import fs from 'node:fs';
import { stopPostgres } from './postgres';

export default async function globalTeardown(): Promise<void> {
  const shared = globalThis.__tripwireShared;
  if (!shared) return;
  await shared.temporal?.stop();
  if (shared.postgres) stopPostgres(shared.postgres);
  fs.rmSync(shared.tmp, { recursive: true, force: true });
}
