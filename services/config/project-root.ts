// Finds the project folder (the one holding tripwire's package.json), whether running from source or from dist/.
import fs from 'node:fs';
import path from 'node:path';

/** Returns the nearest folder at or above `from` whose package.json is tripwire's. */
export function projectRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (
      fs.existsSync(manifest) &&
      (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tripwire'
    ) {
      return dir;
    }
    if (path.dirname(dir) === dir) return process.cwd();
  }
}
