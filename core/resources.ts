// Prefect's resource ids and labels, built and read in one place: `prefect.<kind>.<id>` names a flow run, deployment,
// automation and so on in events and triggers, and its labels (`prefect.resource.id`, `.role`, `.name`) are what
// resource specifications match.
import { UUID_PATTERN } from './ids';

export const RESOURCE_ID_LABEL = 'prefect.resource.id';
export const RESOURCE_ROLE_LABEL = 'prefect.resource.role';
export const RESOURCE_NAME_LABEL = 'prefect.resource.name';

/** The kinds of Prefect object tripwire names in resource ids. */
export type ResourceKind = 'automation' | 'deployment' | 'event' | 'flow' | 'flow-run' | 'tag' | 'work-pool';

/** Returns the resource id of the `kind` object `id`: `prefect.<kind>.<id>`. */
export function resourceIdFor(kind: ResourceKind, id: string): string {
  return `prefect.${kind}.${id}`;
}

/** Returns the id inside a `prefect.<kind>.<id>` resource id, or undefined when `resourceId` names another kind. */
export function idFromResource(kind: ResourceKind, resourceId: string | undefined): string | undefined {
  const prefix = `prefect.${kind}.`;
  return resourceId?.startsWith(prefix) ? resourceId.slice(prefix.length) : undefined;
}

/** Like idFromResource, but only when the id is a UUID (Prefect's objects have UUID ids; names do not count). */
export function uuidFromResource(kind: ResourceKind, resourceId: string | undefined): string | undefined {
  const id = idFromResource(kind, resourceId);
  return id !== undefined && UUID_PATTERN.test(id) ? id : undefined;
}
