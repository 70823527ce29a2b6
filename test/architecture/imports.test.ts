// The tree's import rules, checked on every source file (tests and benchmarks excepted): no import cycles between
// files or folders, type-only imports included, and every top-level folder imports only the folders below it in
// LAYERS. The sandbox allow-list for workflows/ and core/ is lint's (eslint.config.mjs); this file checks the rest.
import { importGraph, type ImportGraph, stronglyConnected, topFolder } from './graph';

/**
 * Each top-level source folder and the folders it may import from. Read bottom-up: core is pure and sandbox-safe;
 * the processes' entry folders (api, worker, scripts, cli) sit at the top.
 */
const LAYERS: Record<string, readonly string[]> = {
  core: [],
  db: ['core'],
  templates: ['core'],
  workflows: ['core'],
  services: ['core', 'db', 'templates', 'workflows'],
  activities: ['core', 'services', 'workflows'],
  client: ['core', 'services', 'worker'],
  worker: ['core', 'db', 'services', 'activities', 'workflows'],
  api: ['core', 'db', 'templates', 'services', 'workflows'],
  cli: ['core', 'services', 'client', 'worker'],
  scripts: ['core', 'services', 'api', 'worker'],
};

let graph: ImportGraph;
beforeAll(() => {
  graph = importGraph();
});

describe('the import graph', () => {
  it('has no cycle between files', () => {
    const cycles = stronglyConnected(graph.files).filter((group) => group.length > 1);
    expect(cycles).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const cycles = stronglyConnected(graph.folders).filter((group) => group.length > 1);
    expect(cycles).toEqual([]);
  });

  it('imports only downwards between top-level folders', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph.files) {
      const from = topFolder(file);
      for (const target of targets) {
        const to = topFolder(target);
        if (from === to) continue;
        if (!LAYERS[from]?.includes(to)) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('knows every top-level source folder', () => {
    const unknown = [...new Set([...graph.files.keys()].map(topFolder))].filter((folder) => !(folder in LAYERS));
    expect(unknown).toEqual([]);
  });
});
