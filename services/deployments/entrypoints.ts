// Entry points name a flow as `path/to/flow.ts:exportedFn`: the file a pool worker bundles (a workflow) or loads (a
// plain function), and the export that is the Temporal workflow type or the function. On an external work pool the
// entrypoint may be a bare workflow type, which the team's own worker registers.
import path from 'node:path';
import { entrypointName } from '../../core/deployments/schema';

/** Returns the exported function's name (the workflow type, or the function a function flow runs). */
export function entrypointExport(entrypoint: string): string {
  return entrypointName(entrypoint);
}

/** Returns the absolute path of the entrypoint's file, resolved against `baseDir`. */
export function entrypointFile(entrypoint: string, baseDir: string): string {
  const at = entrypoint.lastIndexOf(':');
  const file = at < 0 ? entrypoint : entrypoint.slice(0, at);
  return path.resolve(baseDir, file);
}

/** Returns the absolute path of a deployment's activities module, resolved against `baseDir`. */
export function activitiesFile(activities: string, baseDir: string): string {
  return path.resolve(baseDir, activities);
}
