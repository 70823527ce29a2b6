// The one duration grammar of tripwire, read the way pydantic reads a `timedelta`: seconds as a number, ISO 8601
// (`PT10M`, `P1D`, `P1W`) or Python's own text (`01:00:00`, `1 day, 01:00:00`). Trigger definitions reject numeric
// strings, as current pydantic does; settings and run options also take them (`EVENT_RETENTION=3600`). Everything
// past the edge is seconds.

const ISO =
  /^([-+])?P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;
const TIMEDELTA = /^(?:([-+]?\d+) days?,? ?)?([-+])?(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/;

/** Returns the seconds `value` stands for, or undefined when it is not a duration pydantic would accept. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const iso = ISO.exec(text);
  if (iso) {
    // Years and months have no fixed length; pydantic (speedate) counts them as 365 and 30 days.
    const [y, mo, w, d, h, mi, s] = iso
      .slice(2)
      .map((part) => (part === undefined ? 0 : Number(part.replace(',', '.'))));
    const total = (((y! * 365 + mo! * 30 + w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60 + s!;
    return iso[1] === '-' ? -total : total;
  }
  const delta = TIMEDELTA.exec(text);
  if (delta) {
    const days = delta[1] === undefined ? 0 : Number(delta[1]);
    const clock = (Number(delta[3]) * 60 + Number(delta[4])) * 60 + Number(delta[5] ?? 0);
    return days * 86_400 + (delta[2] === '-' ? -clock : clock);
  }
  return undefined;
}

/**
 * Returns the seconds `value` stands for, also reading a numeric string as seconds (settings, `schedule_after`);
 * throws an Error saying which forms are accepted.
 */
export function parseDurationSeconds(value: string | number): number {
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    throw new Error(
      typeof value === 'number'
        ? `${value} is not a finite number of seconds`
        : `"${value}" is not a duration: use seconds (3600), ISO 8601 (PT1H, P1D) or HH:MM:SS`,
    );
  }
  return seconds;
}
