// Starts what the integration tests share: one Temporal dev server (in memory, on free ports, with tripwire's search
// attributes and a low continue-as-new threshold) and one PostgreSQL cluster. Their addresses reach the test
// workers through the environment.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DevServer, startDevServer } from '../../services/temporal/dev-server';
import { loadConfig } from '../../services/config/env';
import { freePort } from '../helpers/ports';
import { startPostgres, type TestPostgres } from './postgres';

export interface SharedServices {
  temporal?: DevServer;
  postgres?: TestPostgres;
  tmp: string;
}

declare global {
  var __tripwireShared: SharedServices | undefined;
}

export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-test-'));
  const shared: SharedServices = { tmp };
  globalThis.__tripwireShared = shared;
  process.env.TRIPWIRE_TEST_TMP = tmp;
  process.env.TRIPWIRE_TEST_TEMPORAL_CLI = loadConfig(process.env, root).temporal.cliPath;

  if (!process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS) {
    shared.temporal = await startDevServer({
      cliPath: process.env.TRIPWIRE_TEST_TEMPORAL_CLI,
      port: await freePort(),
      namespace: 'default',
      logFile: path.join(tmp, 'temporal.log'),
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 200 },
    });
    process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS = shared.temporal.address;
  }
  if (!process.env.TRIPWIRE_TEST_DATABASE_URL) {
    shared.postgres = startPostgres(await freePort());
    process.env.TRIPWIRE_TEST_DATABASE_URL = shared.postgres.url;
  }
}
