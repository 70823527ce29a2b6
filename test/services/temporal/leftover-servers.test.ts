import { findLeftovers, listProcesses, usesDbFile } from '../../../services/temporal/leftover-servers';

const DB = '/data/temporal.sqlite';
const server = ['/tools/temporal', 'server', 'start-dev', '--port', '7233', '--db-filename', DB, '--headless'];

describe('usesDbFile', () => {
  it('matches the exact --db-filename argument, and no other path that starts the same', () => {
    expect(usesDbFile(server, DB)).toBe(true);
    expect(usesDbFile(['/usr/bin/node', 'dev-server-supervisor.js', ...server], DB)).toBe(true);
    expect(usesDbFile(server, '/data/temporal')).toBe(false);
    expect(usesDbFile(server, '/other/temporal.sqlite')).toBe(false);
    expect(usesDbFile(['/tools/temporal', DB], DB)).toBe(false);
  });

  it('reads the one-string command lines of ps, up to a word boundary', () => {
    expect(usesDbFile([server.join(' ')], DB)).toBe(true);
    expect(usesDbFile([`temporal --db-filename ${DB}`], DB)).toBe(true);
    expect(usesDbFile([`temporal --db-filename ${DB}.bak --headless`], DB)).toBe(false);
  });
});

describe('findLeftovers', () => {
  it('returns the servers and supervisors of the file, never this process', () => {
    const processes = [
      { pid: 10, ppid: 1, argv: server },
      { pid: 11, ppid: 1, argv: ['/tools/temporal', 'server', 'start-dev', '--db-filename', '/x.sqlite'] },
      { pid: process.pid, ppid: 1, argv: server },
    ];
    expect(findLeftovers(DB, processes).map((p) => p.pid)).toEqual([10]);
  });
});

describe('listProcesses', () => {
  it('lists this process with its parent and command line', () => {
    const self = listProcesses()?.find((p) => p.pid === process.pid);
    expect(self).toBeDefined();
    expect(self!.ppid).toBe(process.ppid);
    expect(self!.argv.join(' ')).toContain(process.argv[1]!);
  });
});
