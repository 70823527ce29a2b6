// The console's page templates: an ordinary (not sandboxed) nunjucks Environment over api/console/views, with
// autoescaping on, so every value a sender controls is HTML-escaped unless a template says otherwise (none does).
// It is separate from templates/, whose sandboxed environment renders webhook and action templates.
import path from 'node:path';
import nunjucks from 'nunjucks';
import { projectRoot } from '../../services/config/project-root';

/** The folder of the console's views and static files, from source or from dist/. */
export const CONSOLE_DIR = path.join(projectRoot(), 'api', 'console');

/** Returns the environment the console renders its pages with. */
export function consoleViews(): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(CONSOLE_DIR, 'views')), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter('pretty', (value: unknown) => JSON.stringify(value, null, 2));
  env.addFilter('time', (value: unknown) => (typeof value === 'string' ? value.replace('T', ' ').slice(0, 23) : ''));
  /** A query string built from `params`, each value percent-encoded: the only way sender data enters a URL. */
  env.addFilter('query', (params: Record<string, unknown>) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params ?? {})) {
      if (value !== undefined && value !== null && value !== '') search.set(key, scalar(value));
    }
    const text = search.toString();
    return text ? `?${text}` : '';
  });
  env.addFilter('segment', (value: unknown) => encodeURIComponent(scalar(value ?? '')));
  return env;
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
