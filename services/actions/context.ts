// The template context of an action (Prefect §7.4): the triggering event, every event and firing behind it, the
// for_each labels and the automation. Objects are built fresh for each render, so templates cannot mutate state.
import type { ReceivedEvent } from '../../core/events/schema';
import type { Firing } from '../../core/triggers/schema';
import type { AutomationSnapshot } from '../../workflows/messages';

export interface ActionContext {
  automation: AutomationSnapshot;
  firing: Firing;
  /** Extra objects (flow_run, deployment, …) looked up by the caller when the event concerns them. */
  extras?: Record<string, unknown>;
}

/** Returns every firing in the tree rooted at `firing`, itself first. */
export function allFirings(firing: Firing): Firing[] {
  return [firing, ...firing.triggering_firings.flatMap((child) => allFirings(child))];
}

/** Returns the distinct triggering events of `firing` and its children, in occurred order. */
export function allEvents(firing: Firing): ReceivedEvent[] {
  const byId = new Map<string, ReceivedEvent>();
  for (const f of allFirings(firing)) if (f.triggering_event) byId.set(f.triggering_event.id, f.triggering_event);
  return [...byId.values()].sort((a, b) => (a.occurred < b.occurred ? -1 : a.occurred > b.occurred ? 1 : 0));
}

/** Returns the variables a template of this action sees. */
export function templateContext(ctx: ActionContext): Record<string, unknown> {
  const event = ctx.firing.triggering_event;
  const context = structuredClone({
    automation: ctx.automation,
    event: event ?? null,
    events: allEvents(ctx.firing),
    firing: ctx.firing,
    firings: allFirings(ctx.firing),
    labels: ctx.firing.triggering_labels,
    ...ctx.extras,
  });
  if (context.event) withEventMembers(context.event);
  for (const each of context.events) withEventMembers(each);
  return context;
}

/**
 * Gives an event the members Prefect's Event and Resource models have in templates (`event.resource.id`, `.name`,
 * `related[0].role`, `resource_in_role[role]`, `resources_in_role[role]`, `involved_resources`). They are
 * non-enumerable, so `{{ event }}` and `tojson` still give exactly the wire JSON.
 */
function withEventMembers(event: ReceivedEvent): void {
  // structuredClone keeps shared references, so `event` is often also one of `events`.
  if (Object.hasOwn(event, 'involved_resources')) return;
  const hidden = (target: object, name: string, value: unknown) =>
    Object.defineProperty(target, name, { value, enumerable: false });
  const resourceMembers = (resource: Record<string, string>) => {
    hidden(resource, 'id', resource['prefect.resource.id']);
    hidden(resource, 'name', resource['prefect.resource.name']);
    hidden(resource, 'role', resource['prefect.resource.role']);
  };
  resourceMembers(event.resource);
  const inRole: Record<string, Record<string, string>> = {};
  const allInRole: Record<string, Record<string, string>[]> = {};
  for (const related of event.related) {
    resourceMembers(related);
    const role = related['prefect.resource.role'];
    if (role === undefined) continue;
    inRole[role] ??= related;
    (allInRole[role] ??= []).push(related);
  }
  hidden(event, 'resource_in_role', inRole);
  hidden(event, 'resources_in_role', allInRole);
  hidden(event, 'involved_resources', [event.resource, ...event.related]);
}
