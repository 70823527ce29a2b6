// Dev servers an earlier tripwire left running on the same data folder. After a crash the supervisor stops its server
// within a second or so, but a kill -9 of both tripwire and the supervisor (or a tripwire from before the supervisor)
// leaves one holding the ports, and the next start failed with "exited during start-up … already in use". A server is
// ours when its command line names our --db-filename; a path names exactly one data folder.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The command line: each argument on Linux; one string (arguments joined by spaces) elsewhere. */
  argv: string[];
}

/** Returns the processes of this machine (Linux: /proc; elsewhere: ps), or undefined where neither works. */
export function listProcesses(): ProcessInfo[] | undefined {
  if (fs.existsSync('/proc/self/stat')) return listProc();
  try {
    const out = execFileSync('ps', ['-A', '-ww', '-o', 'pid=', '-o', 'ppid=', '-o', 'args='], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), argv: [args!] }));
  } catch {
    return undefined;
  }
}

function listProc(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // A zombie has an empty command line: it holds no port and needs no stopping.
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').slice(0, -1);
      if (argv.length === 0) continue;
      // The second field, the name, is in parentheses and may hold anything: the ppid is the second after its end.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      processes.push({ pid: Number(entry), ppid, argv });
    } catch {
      // exited while we looked
    }
  }
  return processes;
}

/** True when `argv` is a command line (a dev server's or its supervisor's) with `--db-filename dbFile`. */
export function usesDbFile(argv: string[], dbFile: string): boolean {
  if (argv.length === 1) {
    const line = argv[0]!;
    const flag = `--db-filename ${dbFile}`;
    const at = line.indexOf(flag);
    return at >= 0 && (at + flag.length === line.length || line[at + flag.length] === ' ');
  }
  return argv.some((arg, i) => arg === '--db-filename' && argv[i + 1] === dbFile);
}

/** Returns the running processes (other than this one) that serve or supervise `dbFile`. */
export function findLeftovers(dbFile: string, processes = listProcesses()): ProcessInfo[] {
  return (processes ?? []).filter((p) => p.pid !== process.pid && usesDbFile(p.argv, dbFile));
}

/**
 * Stops `leftovers`: SIGTERM to each one whose parent is not itself a leftover (a supervisor stops its own server),
 * SIGKILL to whatever still runs after `graceMs`. Resolves once none of them runs; throws if one survives SIGKILL.
 */
export async function stopLeftovers(leftovers: ProcessInfo[], dbFile: string, graceMs = 10_000): Promise<void> {
  const pids = new Set(leftovers.map((p) => p.pid));
  for (const p of leftovers) if (!pids.has(p.ppid)) signal(p.pid, 'SIGTERM');
  const running = () => findLeftovers(dbFile).filter((p) => pids.has(p.pid));
  const deadline = Date.now() + graceMs;
  while (running().length > 0 && Date.now() < deadline) await sleep(100);
  for (const p of running()) signal(p.pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (running().length > 0 && Date.now() < killDeadline) await sleep(100);
  const survivors = running();
  if (survivors.length > 0) {
    throw new Error(`could not stop process ${survivors.map((p) => p.pid).join(', ')} using ${dbFile}`);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
