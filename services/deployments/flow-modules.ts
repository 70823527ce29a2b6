// Loads a deployment's own modules (a function flow's entrypoint, a workflow flow's activities) into this Node process,
// as Prefect imports a flow's file: TypeScript is compiled on the fly with swc (the compiler Temporal's bundler already
// ships), JavaScript is required as is. They run with full Node access, outside the workflow sandbox.
import fs from 'node:fs';
import path from 'node:path';
import type * as Swc from '@swc/core';

let hookInstalled = false;

/**
 * Lets `require` read `.ts` files, unless something (ts-node, jest) already does. Type-only imports are elided and
 * the module becomes CommonJS, so `export async function myFlow()` and `import fs from 'node:fs'` both work.
 */
function installTypeScriptHook(): void {
  if (hookInstalled || !require.extensions || require.extensions['.ts']) return;
  hookInstalled = true;
  // Loaded here, not at the top: most processes never load a flow's module, and swc's binding is large.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const swc = require('@swc/core') as typeof Swc;
  require.extensions['.ts'] = (module, filename) => {
    const source = fs.readFileSync(filename, 'utf8');
    const { code } = swc.transformSync(source, {
      filename,
      sourceMaps: 'inline',
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    (module as unknown as { _compile(code: string, filename: string): void })._compile(code, filename);
  };
}

/**
 * Forgets the modules loaded from `dir` (not its node_modules), so the next load reads the files again: a redeployed
 * flow runs its new code without restarting the worker.
 */
function forgetModulesUnder(dir: string): void {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(prefix) && !key.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[key];
  }
}

/** Returns the exports of the module at `file` (absolute), loaded afresh when `fresh` is set. */
export function loadFlowModule(file: string, options: { fresh?: boolean } = {}): Record<string, unknown> {
  installTypeScriptHook();
  if (options.fresh) forgetModulesUnder(path.dirname(file));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as Record<string, unknown>;
}

/** The names of the functions among `exports` (a module's activities). */
export function exportedFunctions(exports: Record<string, unknown>): string[] {
  return Object.keys(exports)
    .filter((name) => name !== 'default' && name !== '__esModule' && typeof exports[name] === 'function')
    .sort();
}

/** A file's modification signature: a changed file gives another, so workers and checks know to load it again. */
export function fileSignature(file: string): string {
  try {
    const stat = fs.statSync(file);
    return `${file}@${stat.mtimeMs}:${stat.size}`;
  } catch {
    return `${file}@missing`;
  }
}
