// Prefect's own template filters (src/prefect/server/events/jinja_filters.py and §7.4 of the spec): links into
// the Prefect UI and `flow_run_id`. Without a UI base URL the links render as empty strings.
import type { FilterFunction } from './filters';
import { isMapping, pyStr, unwrap } from './python';
import { resourceIdFor } from '../core/resources';
import { UUID_PATTERN } from '../core/ids';

// Prefect's UI routes by resource kind (prefect.utilities.urls).
const UI_PATHS: Record<string, string> = {
  flow: 'flows/flow',
  'flow-run': 'runs/flow-run',
  'task-run': 'runs/task-run',
  deployment: 'deployments/deployment',
  'work-pool': 'work-pools/work-pool',
  'work-queue': 'work-queues/work-queue',
  automation: 'automations/automation',
  'block-document': 'blocks/block',
  'concurrency-limit': 'concurrency-limits/concurrency-limit',
};

/** Returns the Prefect resource id `obj` stands for: a resource, a resource id, an event's or an automation's. */
function resourceIdOf(obj: unknown): string | undefined {
  const v = unwrap(obj);
  if (typeof v === 'string') return v.startsWith('prefect.') ? v : undefined;
  if (!isMapping(v)) return undefined;
  if (typeof v['prefect.resource.id'] === 'string') return v['prefect.resource.id'];
  if (typeof v.id === 'string' && 'trigger' in v && 'actions' in v) return resourceIdFor('automation', v.id);
  return undefined;
}

function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path}`;
}

/** Returns `ui_url`, `ui_resource_events_url` and `flow_run_id`; links use `uiBaseUrl` when given. */
export function prefectFilters(uiBaseUrl?: string): Record<string, FilterFunction> {
  return {
    ui_url: (obj) => {
      const v = unwrap(obj);
      if (!uiBaseUrl) return '';
      if (isMapping(v) && typeof v.event === 'string' && typeof v.id === 'string' && typeof v.occurred === 'string') {
        return join(uiBaseUrl, `events/event/${v.occurred.slice(0, 10)}/${v.id}`);
      }
      const id = resourceIdOf(v);
      const match = id ? /^prefect\.([a-z-]+)\.(.+)$/.exec(id) : null;
      const path = match ? UI_PATHS[match[1]!] : undefined;
      return path ? join(uiBaseUrl, `${path}/${match![2]!}`) : '';
    },
    ui_resource_events_url: (obj) => {
      const id = resourceIdOf(obj);
      return uiBaseUrl && id ? join(uiBaseUrl, `events?resource=${id}`) : '';
    },
    flow_run_id: (text) => {
      const match = new RegExp(`flow-run/(${UUID_PATTERN.source.slice(1, -1)})`, 'i').exec(pyStr(text));
      return match ? match[1] : null;
    },
  };
}
