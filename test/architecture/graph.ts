// The source tree's import graph, read with TypeScript's own pre-processor (so `import type`, `export … from`,
// `import()` and `require()` all count), for the architecture tests and for counting layers in a review.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
/** Folders that hold no source: tests, benchmarks, build output and tools. */
const SKIP = new Set(['node_modules', 'dist', 'tools', 'test', 'bench', 'coverage', 'docs', 'examples']);

export interface ImportGraph {
  /** Each source file (relative to the project root) and the source files it imports. */
  files: Map<string, Set<string>>;
  /** Each folder holding source and the folders its files import from. */
  folders: Map<string, Set<string>>;
}

/** Returns the top-level folder of a project-relative path. */
export function topFolder(file: string): string {
  return file.split('/')[0]!;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!(dir === '' && SKIP.has(entry.name))) sourceFiles(rel, out);
    } else if (dir !== '' && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.join(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(path.join(ROOT, candidate))) return candidate;
  }
  return undefined;
}

/** Reads every source file's relative imports. */
export function importGraph(): ImportGraph {
  const files = new Map<string, Set<string>>();
  const folders = new Map<string, Set<string>>();
  for (const file of sourceFiles('')) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(file, fileName);
      if (target) targets.add(target);
    }
    files.set(file, targets);
    const folder = path.dirname(file);
    const folderTargets = folders.get(folder) ?? new Set<string>();
    for (const target of targets) if (path.dirname(target) !== folder) folderTargets.add(path.dirname(target));
    folders.set(folder, folderTargets);
  }
  return { files, folders };
}

/** Returns the strongly connected components of `graph` (Tarjan); a component of more than one node is a cycle. */
export function stronglyConnected(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      groups.push(group.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return groups;
}
