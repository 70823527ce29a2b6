// The time functions of the `humanize` Python package (4.x): naturaldelta, naturaltime, precisedelta,
// naturalday and naturaldate. Python's timedelta (days, seconds, microseconds) is reproduced exactly because the
// wording depends on its normalisation.
//
// Implementation notes (where template data differs from Python objects):
// - Deltas are numbers of seconds, as in Python.
// - Datetimes arrive as ISO-8601 strings (what events carry); naturalday and naturaldate also take epoch seconds.
//   A string Python would print back unchanged still is, unless it parses as an ISO datetime.
// - "Now" is the render's injectable clock; naive datetimes are read as UTC (Python reads them in local time,
//   which on a UTC server is the same).
import { TemplateError } from './errors';
import { intcomma, pyDivmod } from './humanize-numbers';
import { renderNow } from './limits';
import { pyStr, toPyFloat, toPyInt, unwrap } from './python';
import { percentFormat, pyRound } from './python-format';

const US_PER_DAY = 86_400_000_000n;

/** A Python timedelta: 0 ≤ seconds < 86400, 0 ≤ microseconds < 1e6, days carries the sign. */
interface Delta {
  days: number;
  seconds: number;
  microseconds: number;
}

function fromMicros(total: bigint): Delta {
  const days = total / US_PER_DAY - (total % US_PER_DAY < 0n ? 1n : 0n);
  const rest = total - days * US_PER_DAY;
  if (days > 999_999_999n || days < -999_999_999n) throw new TemplateError('render', 'date value out of range');
  return { days: Number(days), seconds: Number(rest / 1_000_000n), microseconds: Number(rest % 1_000_000n) };
}

function toMicros(d: Delta): bigint {
  return BigInt(d.days) * US_PER_DAY + BigInt(d.seconds) * 1_000_000n + BigInt(d.microseconds);
}

/** Python's timedelta(seconds=s): the fraction is rounded to microseconds, half to even. */
function deltaFromSeconds(s: number): Delta {
  const whole = Math.trunc(s);
  const micros = pyRound((s - whole) * 1e6);
  return fromMicros(BigInt(whole) * 1_000_000n + BigInt(micros));
}

/** Python raises OverflowError for infinite seconds, and so do we. */
function finite(seconds: number): number {
  if (!Number.isFinite(seconds)) throw new TemplateError('render', 'cannot convert float infinity to integer');
  return seconds;
}

function absDelta(d: Delta): Delta {
  return d.days < 0 ? fromMicros(-toMicros(d)) : d;
}

/** A parsed datetime: the instant in microseconds (naive values as if UTC) and its UTC offset, if it had one. */
interface DateTime {
  micros: bigint;
  offsetMinutes: number | null;
  dateOnly: boolean;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses an ISO-8601 date or datetime string; returns undefined for anything else. */
export function parseDateTime(value: unknown): DateTime | undefined {
  const m = typeof value === 'string' ? ISO.exec(value.trim()) : null;
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== Number(d)) return undefined;
  let offsetMinutes: number | null = null;
  if (zone) {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    offsetMinutes = z ? (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) : 0;
  }
  const local = BigInt(ms) * 1000n + BigInt(frac.padEnd(6, '0'));
  return { micros: local - BigInt(offsetMinutes ?? 0) * 60_000_000n, offsetMinutes, dateOnly: m[4] === undefined };
}

function nowMicros(): bigint {
  return BigInt(renderNow().getTime()) * 1000n;
}

const plural = (n: number, one: string, many: string) => percentFormat(n === 1 ? one : many, n, false);

/** humanize.naturaldelta for a timedelta. */
function naturaldeltaOf(input: Delta, months: boolean, minimumUnit: string): string {
  const min = minimumUnit.toLowerCase();
  if (!['seconds', 'milliseconds', 'microseconds'].includes(min)) {
    throw new TemplateError('render', `Minimum unit '${minimumUnit}' not supported`);
  }
  const delta = absDelta(input);
  const years = Math.floor(delta.days / 365);
  const days = delta.days % 365;
  const numMonths = pyRound(days / 30.5);
  if (years === 0 && days < 1) {
    if (delta.seconds === 0) {
      if (min === 'microseconds' && delta.microseconds < 1000) {
        return plural(delta.microseconds, '%d microsecond', '%d microseconds');
      }
      if (min === 'milliseconds' || (min === 'microseconds' && delta.microseconds >= 1000)) {
        const milliseconds = delta.microseconds / 1000;
        return percentFormat(
          Math.trunc(milliseconds) === 1 ? '%d millisecond' : '%d milliseconds',
          milliseconds,
          false,
        );
      }
      return 'a moment';
    }
    if (delta.seconds === 1) return 'a second';
    if (delta.seconds < 60) return plural(delta.seconds, '%d second', '%d seconds');
    if (delta.seconds < 3600) {
      const minutes = pyRound(delta.seconds / 60);
      if (minutes === 1) return 'a minute';
      return minutes === 60 ? 'an hour' : plural(minutes, '%d minute', '%d minutes');
    }
    const hours = pyRound(delta.seconds / 3600);
    if (hours === 1) return 'an hour';
    return hours === 24 ? 'a day' : plural(hours, '%d hour', '%d hours');
  }
  if (years === 0) {
    if (days === 1) return 'a day';
    if (!months || numMonths === 0) return plural(days, '%d day', '%d days');
    if (numMonths === 1) return 'a month';
    return numMonths === 12 ? 'a year' : plural(numMonths, '%d month', '%d months');
  }
  if (years === 1) {
    if (numMonths === 0 && days === 0) return 'a year';
    if (numMonths === 0 || !months) return plural(days, '1 year, %d day', '1 year, %d days');
    if (numMonths === 1) return '1 year, 1 month';
    if (numMonths === 12) return '2 years';
    return plural(numMonths, '1 year, %d month', '1 year, %d months');
  }
  const rounded = pyRound(delta.days / 365);
  return `${intcomma(rounded)} ${rounded === 1 ? 'year' : 'years'}`;
}

/** humanize.naturaldelta: 3600 → "an hour". Input Python cannot read comes back as `str(value)`. */
export function naturaldelta(value: unknown, months: boolean, minimumUnit: string): string {
  const v = unwrap(value);
  const asInt =
    typeof v === 'string' ? toPyInt(v) : typeof v === 'number' || typeof v === 'boolean' ? toPyInt(v) : undefined;
  const seconds = toPyFloat(v);
  if (asInt === undefined || seconds === undefined) {
    if (typeof v === 'number' && !Number.isFinite(v)) return pyStr(Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
    return pyStr(v);
  }
  return naturaldeltaOf(deltaFromSeconds(seconds), months, minimumUnit);
}

/** humanize.naturaltime: "3 minutes ago" / "in ..." for a datetime (relative to `when` or now) or seconds. */
export function naturaltime(
  value: unknown,
  future: boolean,
  months: boolean,
  minimumUnit: string,
  when: unknown,
): string {
  const v = unwrap(value);
  const whenDate = parseDateTime(unwrap(when));
  const now = whenDate ? whenDate.micros : nowMicros();
  const date = parseDateTime(v);
  let delta: Delta;
  let isFuture = future;
  if (date) {
    delta = fromMicros(now - date.micros);
    isFuture = date.micros > now;
  } else {
    const seconds = typeof v === 'number' || typeof v === 'boolean' ? Number(v) : undefined;
    if (seconds === undefined || Number.isNaN(seconds)) return pyStr(v);
    delta = deltaFromSeconds(pyRound(finite(seconds)));
  }
  const text = naturaldeltaOf(absDelta(delta), months, minimumUnit);
  if (text === 'a moment') return 'now';
  return isFuture ? `${text} from now` : `${text} ago`;
}

/** Returns the calendar date [y, m, d] of `dt` in its own offset (naive and date-only as given). */
function calendarDate(micros: bigint, offsetMinutes: number | null): [number, number, number] {
  const d = new Date(Number((micros + BigInt(offsetMinutes ?? 0) * 60_000_000n) / 1000n));
  return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function dateOf(value: unknown): DateTime | undefined {
  const v = unwrap(value);
  if (typeof v === 'number' && Number.isFinite(v)) {
    return { micros: BigInt(Math.round(v * 1e6)), offsetMinutes: 0, dateOnly: false };
  }
  return parseDateTime(v);
}

function dayDifference(value: DateTime): { days: number; date: [number, number, number] } {
  const date = calendarDate(value.micros, value.offsetMinutes);
  const today = calendarDate(nowMicros(), value.offsetMinutes);
  const days = Math.round((Date.UTC(...date) - Date.UTC(...today)) / 86_400_000);
  return { days, date };
}

function naturaldayOf(value: DateTime, withYear: boolean): string {
  const { days, date } = dayDifference(value);
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days === -1) return 'yesterday';
  const text = `${MONTHS[date[1]]!} ${String(date[2]).padStart(2, '0')}`;
  return withYear ? `${text} ${date[0]}` : text;
}

/** humanize.naturalday: "today", "tomorrow", "yesterday", else "Jan 05". */
export function naturalday(value: unknown): string {
  const date = dateOf(value);
  return date ? naturaldayOf(date, false) : pyStr(value);
}

/** humanize.naturaldate: like naturalday, with the year once the date is about five months or more away. */
export function naturaldate(value: unknown): string {
  const date = dateOf(value);
  if (!date) return pyStr(value);
  return naturaldayOf(date, Math.abs(dayDifference(date).days) >= (5 * 365) / 12);
}

type Unit = 'microseconds' | 'milliseconds' | 'seconds' | 'minutes' | 'hours' | 'days' | 'months' | 'years';
const UNITS: Unit[] = ['microseconds', 'milliseconds', 'seconds', 'minutes', 'hours', 'days', 'months', 'years'];

function unitOf(name: unknown): Unit {
  const unit = pyStr(name).toLowerCase() as Unit;
  if (!UNITS.includes(unit)) throw new TemplateError('render', `KeyError: '${pyStr(name).toUpperCase()}'`);
  return unit;
}

/** humanize.precisedelta: 3661 → "1 hour, 1 minute and 1 second". */
export function precisedelta(value: unknown, minimumUnit: unknown, suppress: unknown, format: string): string {
  const v = unwrap(value);
  const date = parseDateTime(v);
  let delta: Delta;
  if (date) delta = fromMicros(nowMicros() - date.micros);
  else if (typeof v === 'boolean' || (typeof v === 'number' && !Number.isNaN(v)))
    delta = deltaFromSeconds(finite(Number(v)));
  else return pyStr(v);
  delta = absDelta(delta);

  const names = unwrap(suppress);
  const suppressed = new Set((typeof names === 'string' ? [...names] : Array.isArray(names) ? names : []).map(unitOf));
  let min = unitOf(minimumUnit);
  if (suppressed.has(min)) {
    const replacement = UNITS.find((u) => UNITS.indexOf(u) > UNITS.indexOf(min) && !suppressed.has(u));
    if (!replacement)
      throw new TemplateError('render', 'Minimum unit is suppressed and no suitable replacement was found');
    min = replacement;
  }
  for (const u of UNITS.slice(0, UNITS.indexOf(min))) suppressed.add(u);

  const roundByFormat = (x: number) => Number(percentFormat(format, x, false));
  const split = (amount: number, divisor: number, unit: Unit): [number, number] => {
    if (unit === min) return [roundByFormat(amount / divisor), 0];
    if (suppressed.has(unit)) return [0, amount];
    const [q, r] = pyDivmod(amount, divisor);
    return [q, Math.trunc(r)];
  };
  let [years, days] = split(delta.days, 365, 'years');
  let months: number;
  [months, days] = split(days, 30.5, 'months');
  let secs = days * 86400 + delta.seconds;
  [days, secs] = split(secs, 86400, 'days');
  let hours: number;
  [hours, secs] = split(secs, 3600, 'hours');
  let minutes: number;
  [minutes, secs] = split(secs, 60, 'minutes');
  let usecs = secs * 1e6 + delta.microseconds;
  [secs, usecs] = split(usecs, 1e6, 'seconds');
  let msecs: number;
  [msecs, usecs] = split(usecs, 1000, 'milliseconds');

  if (msecs >= 1000 && !suppressed.has('seconds')) [msecs, secs] = [msecs - 1000, secs + 1];
  if (secs >= 60 && !suppressed.has('minutes')) [secs, minutes] = [secs - 60, minutes + 1];
  if (minutes >= 60 && !suppressed.has('hours')) [minutes, hours] = [minutes - 60, hours + 1];
  if (hours >= 24 && !suppressed.has('days')) [hours, days] = [hours - 24, days + 1];
  if (days >= 31 && !suppressed.has('months')) [days, months] = [days - 31, months + 1];
  if (months >= 12 && !suppressed.has('years')) [months, years] = [months - 12, years + 1];

  const amounts: [Unit, number, string][] = [
    ['years', years, 'year'],
    ['months', months, 'month'],
    ['days', days, 'day'],
    ['hours', hours, 'hour'],
    ['minutes', minutes, 'minute'],
    ['seconds', secs, 'second'],
    ['milliseconds', msecs, 'millisecond'],
    ['microseconds', usecs, 'microsecond'],
  ];
  const texts: string[] = [];
  for (const [unit, amount, name] of amounts) {
    if (amount > 0 || (texts.length === 0 && unit === min)) {
      const count = amount > 1 && amount < 2 ? 2 : Math.trunc(amount);
      const word = count === 1 ? name : `${name}s`;
      if (unit === min && amount % 1 > 0) texts.push(`${percentFormat(format, amount, false)} ${word}`);
      else if (unit === 'years') {
        texts.push(`${intcomma(amount)} ${word}`);
        continue; // humanize skips its `break` here, so with minimum_unit="years" the remainder still prints
      } else texts.push(`${percentFormat('%d', amount, false)} ${word}`);
    }
    if (unit === min) break;
  }
  return texts.length === 1 ? texts[0]! : `${texts.slice(0, -1).join(', ')} and ${texts[texts.length - 1]!}`;
}
