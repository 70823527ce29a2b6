// Microsecond timestamps: Prefect events carry microseconds, and its tests order events a microsecond apart.
import { formatTime, micros, parseTime } from '../../../core/triggers/time';

describe('parseTime', () => {
  it('keeps microseconds', () => {
    expect(parseTime('2024-06-01T12:00:00.000002Z') - parseTime('2024-06-01T12:00:00.000001Z')).toBe(1);
    expect(parseTime('2024-06-01T12:00:00.123456789Z') % 1_000_000).toBe(123_456);
  });

  it('reads offsets, and treats a time without one as UTC', () => {
    expect(parseTime('2024-06-01T14:00:00+02:00')).toBe(parseTime('2024-06-01T12:00:00Z'));
    expect(parseTime('2024-06-01T14:00:00.5+0200')).toBe(parseTime('2024-06-01T12:00:00.500Z'));
    expect(parseTime('2024-06-01T12:00:00')).toBe(parseTime('2024-06-01T12:00:00Z'));
    expect(parseTime('2024-06-01 12:00:00')).toBe(parseTime('2024-06-01T12:00:00Z'));
  });

  it('throws on text that is not a timestamp', () => {
    expect(() => parseTime('yesterday')).toThrow('"yesterday" is not an ISO 8601 timestamp');
  });
});

describe('formatTime', () => {
  it('writes milliseconds, and microseconds only when there are some', () => {
    expect(formatTime(parseTime('2024-06-01T12:00:00Z'))).toBe('2024-06-01T12:00:00.000Z');
    expect(formatTime(parseTime('2024-06-01T12:00:00.000002Z'))).toBe('2024-06-01T12:00:00.000002Z');
    expect(formatTime(parseTime('1969-12-31T23:59:59.999999Z'))).toBe('1969-12-31T23:59:59.999999Z');
  });

  it('round-trips through parseTime', () => {
    for (const text of ['2024-02-29T23:59:59.999Z', '2024-06-01T12:00:00.123456Z']) {
      expect(formatTime(parseTime(text))).toBe(text);
    }
  });
});

describe('micros', () => {
  it('turns schema seconds into microseconds', () => {
    expect(micros(1.5)).toBe(1_500_000);
    expect(micros(0.000001)).toBe(1);
  });
});
