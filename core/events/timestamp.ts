// Event times as tripwire carries them: ISO 8601 strings in UTC, so they cross Temporal boundaries as plain JSON.
// Microseconds are kept because Prefect keeps them (its own tests order events a microsecond apart).

// The date-time spellings pydantic's parser accepts for Prefect's `DateTime` fields: `T`, `t` or space between
// date and time, optional seconds, `.`/`,` fraction, `Z`/`z`/`±HH:MM`/`±HHMM`/`±HH`, or no offset (naive = UTC).
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Returns `text` as a UTC ISO string (`2024-01-31T12:00:00.000Z`, with three more fraction digits when it carries
 * sub-millisecond precision, the format `core/triggers/time.ts` reads and writes); a time without offset is UTC, as
 * Prefect coerces naive datetimes. Fractions beyond microseconds are truncated. Returns undefined for anything that
 * is not a valid date-time in years 1-9999.
 */
export function normaliseTimestamp(text: string): string | undefined {
  const parts = ISO_DATE_TIME.exec(text);
  if (!parts) return undefined;
  const [year, month, day, hour, minute] = parts.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = Number(parts[6] ?? '0');
  const offsetHours = Number(parts[9] ?? '0');
  const offsetMinutes = Number(parts[10] ?? '0');
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;

  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day); // not Date.UTC, which maps years 0-99 to 1900-1999
  local.setUTCHours(hour, minute, second, 0);
  const offset = (parts[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const micros = Number((parts[7] ?? '').slice(0, 6).padEnd(6, '0'));
  const utc = new Date(local.getTime() - offset + Math.floor(micros / 1000));
  if (utc.getUTCFullYear() < 1 || utc.getUTCFullYear() > 9999) return undefined;

  const subMillis = micros % 1000;
  const iso = utc.toISOString();
  return subMillis === 0 ? iso : `${iso.slice(0, -1)}${String(subMillis).padStart(3, '0')}Z`;
}

/**
 * Returns `iso` (as normaliseTimestamp writes it) with six fraction digits, so that string order is time order:
 * `.123Z` for a whole millisecond sorts after `.123456Z`, since `Z` sorts after the digits; `.123000Z` does not.
 */
export function sortableTime(iso: string): string {
  return iso.length === 24 ? `${iso.slice(0, 23)}000Z` : iso;
}
