// The activities of the site-report flow: ordinary Node code (network, files), run by the pool worker outside the
// workflow sandbox. The fetch takes the activity's cancellation signal, so a cancellation that reaches the activity
// (through a heartbeat, for activities long enough to send them) aborts it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';

/** GETs `url`; throws (and Temporal retries) unless it answers 2xx. */
export async function fetchPage(url: string): Promise<{ status: number; bytes: number; fetched: string }> {
  const response = await fetch(url, { signal: Context.current().cancellationSignal });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return { status: response.status, bytes: Buffer.byteLength(body), fetched: new Date().toISOString() };
}

/** Writes `report` as JSON to `file`, creating its folder; returns the absolute path. */
export async function writeReport(file: string, report: Record<string, unknown>): Promise<string> {
  const target = path.resolve(file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, JSON.stringify(report, null, 2) + '\n');
  return target;
}
