// Durations arrive as seconds, ISO 8601 (PT2H, P1D, P1W) or Python timedelta text (01:00:00, "1 day, 01:00:00"),
// because Prefect definitions use all three; everything inside tripwire is seconds.

const ISO =
  /^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const TIMEDELTA = /^(?:(-?\d+) days?, )?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/;

/** Returns the number of seconds `value` stands for; throws an Error saying which forms are accepted. */
export function parseDurationSeconds(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} is not a finite number of seconds`);
    return value;
  }
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const iso = ISO.exec(text);
  if (iso) {
    const [y, mo, w, d, h, mi, s] = iso.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
    // Years and months have no fixed length; Python's isodate-free parsers use 365 and 30 days.
    return (((y! * 365 + mo! * 30 + w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60 + s!;
  }
  const delta = TIMEDELTA.exec(text);
  if (delta) {
    const [days, hours, minutes, seconds] = delta.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
    return ((days! * 24 + hours!) * 60 + minutes!) * 60 + seconds!;
  }
  throw new Error(`"${value}" is not a duration: use seconds (3600), ISO 8601 (PT1H, P1D) or HH:MM:SS`);
}
