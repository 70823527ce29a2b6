// Entry points name a flow as `path/to/flow.ts:exportedFn`: the file a pool worker bundles, and the export that is
// the Temporal workflow type.
import path from 'node:path';

/** Returns the exported function's name (the workflow type). */
export function entrypointExport(entrypoint: string): string {
  const at = entrypoint.lastIndexOf(':');
  return at < 0 ? entrypoint : entrypoint.slice(at + 1);
}

/** Returns the absolute path of the entrypoint's file, resolved against `baseDir`. */
export function entrypointFile(entrypoint: string, baseDir: string): string {
  const at = entrypoint.lastIndexOf(':');
  const file = at < 0 ? entrypoint : entrypoint.slice(0, at);
  return path.resolve(baseDir, file);
}
