// A throwaway PostgreSQL cluster for the test run, from the distribution's binaries (CI installs them), on a free
// loopback port, with fsync off. As root it runs the server as the `postgres` user, which initdb requires.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPostgres {
  url: string;
  dir: string;
  binDir: string;
}

/** Returns the folder holding initdb/pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgresBin(): string | undefined {
  const fromEnv = process.env.TRIPWIRE_TEST_PG_BIN;
  if (fromEnv) return fromEnv;
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : undefined;
}

function asPostgresUser(binDir: string, tool: string, args: string[]): void {
  const isRoot = process.getuid?.() === 0;
  const command = isRoot ? 'runuser' : path.join(binDir, tool);
  const argv = isRoot ? ['-u', 'postgres', '--', path.join(binDir, tool), ...args] : args;
  execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

/** Creates and starts a cluster on `port`; returns its URL (trust auth, user `tripwire`). */
export function startPostgres(port: number): TestPostgres {
  const binDir = findPostgresBin();
  if (!binDir) {
    throw new Error(
      'PostgreSQL is not installed: run "apt-get install -y postgresql" (.ci/run does), ' +
        'or set TRIPWIRE_TEST_DATABASE_URL to an existing server.',
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tripwire-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  asPostgresUser(binDir, 'initdb', ['-D', data, '-U', 'tripwire', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  asPostgresUser(binDir, 'pg_ctl', [
    '-D',
    data,
    '-l',
    path.join(dir, 'postgres.log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    '-w',
    '-t',
    '60',
    'start',
  ]);
  return { url: `postgres://tripwire@127.0.0.1:${port}/postgres`, dir, binDir };
}

/** Stops the cluster and deletes its files. */
export function stopPostgres(pg: TestPostgres): void {
  try {
    asPostgresUser(pg.binDir, 'pg_ctl', ['-D', path.join(pg.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  } finally {
    fs.rmSync(pg.dir, { recursive: true, force: true });
  }
}
