// What running an action produces: resources to relate on its events and details for their payload, or an
// ActionFailed that is expected (recorded as `.failed`, never retried). Any other error is retried by Temporal.

export type RelatedResource = Record<string, string>;

export interface ActionResult {
  /** Resources the action touched, related (in order) on its `.triggered` and `.executed` events. */
  related: RelatedResource[];
  details: Record<string, unknown>;
}

/** Thrown when an action cannot succeed however often it is retried; `reason` goes into the `.failed` event. */
export class ActionFailed extends Error {
  constructor(
    readonly reason: string,
    readonly details: Record<string, unknown> = {},
    readonly related: RelatedResource[] = [],
  ) {
    super(reason);
    this.name = 'ActionFailed';
  }
}
