// Whether an automation's new trigger can keep the old one's state. Prefect gives every trigger node fresh ids on each
// save, orphaning its buckets; tripwire keeps state when only the ids differ, and starts over when anything else does.

/** True when `a` and `b` are the same trigger tree, ignoring the ids of its nodes. */
export function sameTriggerDefinition(a: unknown, b: unknown): boolean {
  return JSON.stringify(withoutNodeIds(a)) === JSON.stringify(withoutNodeIds(b));
}

// Only trigger nodes (the root and the items of `triggers`) lose their id: a label named "id" in `match` is data.
function withoutNodeIds(node: unknown): unknown {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
  const entries = Object.entries(node)
    .filter(([key]) => key !== 'id')
    .map(([key, value]) => [
      key,
      key === 'triggers' && Array.isArray(value) ? value.map(withoutNodeIds) : sorted(value),
    ]);
  return Object.fromEntries(entries.sort(([x], [y]) => String(x).localeCompare(String(y))));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([key, item]) => [key, sorted(item)]),
  );
}
