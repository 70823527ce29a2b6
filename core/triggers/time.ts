// Timestamps inside the trigger engine: microseconds since the epoch, because Prefect events carry microsecond
// precision and its tests order events a microsecond apart. Pure functions of their inputs; never reads the clock.

/** One second in microseconds. */
export const SECOND = 1_000_000;

const ISO_TIME = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Returns `iso` as microseconds since the epoch; a time without an offset is UTC, as Prefect coerces it. */
export function parseTime(iso: string): number {
  const parts = ISO_TIME.exec(iso.trim());
  const offset = parts?.[3] === undefined || parts[3].toUpperCase() === 'Z' ? 'Z' : normaliseOffset(parts[3]);
  const millis = parts ? Date.parse(`${parts[1]!.replace(' ', 'T')}${offset}`) : Number.NaN;
  if (Number.isNaN(millis)) throw new Error(`"${iso}" is not an ISO 8601 timestamp`);
  const fraction = (parts?.[2] ?? '').slice(0, 6).padEnd(6, '0');
  return millis * 1000 + Number(fraction);
}

/** Returns the ISO 8601 text of `micros`, with microseconds only when they are not whole milliseconds. */
export function formatTime(micros: number): string {
  const whole = Math.round(micros);
  const millis = Math.floor(whole / 1000);
  const rest = whole - millis * 1000;
  const text = new Date(millis).toISOString();
  return rest === 0 ? text : text.replace('Z', `${String(rest).padStart(3, '0')}Z`);
}

/** Returns `seconds` (a duration as the schema stores it) in microseconds. */
export function micros(seconds: number): number {
  return Math.round(seconds * SECOND);
}

function normaliseOffset(offset: string): string {
  const digits = offset.replace(':', '');
  return digits.length === 3 ? `${digits}:00` : `${digits.slice(0, 3)}:${digits.slice(3)}`;
}
