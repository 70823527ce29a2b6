// The humanize_* filters of jinja2-humanize-extension (0.4.0), which Prefect loads into every user template:
// each binds the extension's Python signature and calls the humanize-package port in humanize-numbers.ts and
// humanize-time.ts. Only the English locale exists; humanize_activate/deactivate are not offered.
import { bindArgs } from './arguments';
import { TemplateError } from './errors';
import type { FilterFunction } from './filters';
import {
  apnumber,
  clamp,
  fractional,
  intcomma,
  intword,
  metric,
  naturalsize,
  ordinal,
  scientific,
} from './humanize-numbers';
import { naturaldate, naturalday, naturaldelta, naturaltime, precisedelta } from './humanize-time';
import { pyStr, pyTruthy, unwrap } from './python';

/** Returns the humanize_* filters keyed by their Jinja names. */
export function humanizeFilters(): Record<string, FilterFunction> {
  const bind = (name: string, params: Parameters<typeof bindArgs>[1], args: unknown[]) =>
    bindArgs(`humanize_${name}`, params, args);
  return {
    humanize_naturalsize: (value, ...args) => {
      const p = bind(
        'naturalsize',
        [
          ['binary', false],
          ['gnu', false],
          ['format', '%.1f'],
        ],
        args,
      );
      return naturalsize(value, pyTruthy(p.binary), pyTruthy(p.gnu), pyStr(p.format));
    },
    humanize_intcomma: (value, ...args) => intcomma(value, bind('intcomma', [['ndigits', null]], args).ndigits),
    humanize_intword: (value, ...args) => intword(value, pyStr(bind('intword', [['format', '%.1f']], args).format)),
    humanize_apnumber: (value) => apnumber(value),
    humanize_fractional: (value) => fractional(value),
    humanize_ordinal: (value, ...args) => {
      bind('ordinal', [['gender', 'male']], args); // English ordinals do not vary by gender
      return ordinal(value);
    },
    humanize_scientific: (value, ...args) => scientific(value, bind('scientific', [['precision', 2]], args).precision),
    humanize_clamp: (value, ...args) => {
      const p = bind(
        'clamp',
        [
          ['floor', null],
          ['ceil', null],
          ['format', '{:}'],
          ['floor_token', '<'],
          ['ceil_token', '>'],
        ],
        args,
      );
      return clamp(value, pyStr(p.format), p.floor, p.ceil, pyStr(p.floor_token), pyStr(p.ceil_token));
    },
    humanize_metric: (value, ...args) => {
      const p = bind(
        'metric',
        [
          ['unit', ''],
          ['precision', 3],
        ],
        args,
      );
      return metric(value, pyStr(p.unit), p.precision);
    },
    humanize_naturaldelta: (value, ...args) => {
      const p = bind(
        'naturaldelta',
        [
          ['months', true],
          ['minimum_unit', 'seconds'],
        ],
        args,
      );
      return naturaldelta(value, pyTruthy(p.months), pyStr(p.minimum_unit));
    },
    humanize_naturaltime: (value, ...args) => {
      const p = bind(
        'naturaltime',
        [
          ['future', false],
          ['months', true],
          ['minimum_unit', 'seconds'],
          ['when', null],
        ],
        args,
      );
      return naturaltime(value, pyTruthy(p.future), pyTruthy(p.months), pyStr(p.minimum_unit), p.when);
    },
    humanize_precisedelta: (value, ...args) => {
      const p = bind(
        'precisedelta',
        [
          ['minimum_unit', 'seconds'],
          ['suppress', []],
          ['format', '%0.2f'],
        ],
        args,
      );
      return precisedelta(value, p.minimum_unit, p.suppress, pyStr(p.format));
    },
    humanize_naturalday: (value) => naturalday(value),
    humanize_naturaldate: (value) => naturaldate(value),
    humanize_abs_timedelta: (value) => {
      const v = unwrap(value);
      if (typeof v !== 'number')
        throw new TemplateError('render', 'humanize_abs_timedelta expects a number of seconds');
      return Math.abs(v);
    },
    humanize_thousands_separator: () => ',',
    humanize_decimal_separator: () => '.',
  };
}
