// Prefect's event counts; the expected time spans were printed by Prefect 3.9.1's own TimeUnit.get_interval_spans.
import { eventCounter, InvalidCountParameters } from '../../../core/events/event-counts';
import { makeEvent } from '../../helpers/factories';

const NOW = new Date('2026-12-01T00:00:00Z');
const at = (occurred: string, overrides = {}) => makeEvent({ occurred, received: occurred, ...overrides });

describe('counting events by time', () => {
  it("buckets from Prefect's pivot, covering the range with empty buckets filled in", () => {
    const counter = eventCounter(
      'time',
      { since: '2026-03-01T00:20:00.000Z', until: '2026-03-01T03:00:00.000Z' },
      'hour',
      1,
      NOW,
    );
    for (const t of ['2026-03-01T00:20:00.000Z', '2026-03-01T00:59:59.999999Z', '2026-03-01T02:30:00.000Z']) {
      counter.add(at(t));
    }
    expect(counter.result()).toEqual([
      {
        value: '0',
        label: '2026-03-01T00:00:00+00:00',
        count: 2,
        start_time: '2026-03-01T00:00:00.000Z',
        end_time: '2026-03-01T00:59:59.999999Z',
      },
      {
        value: '1',
        label: '2026-03-01T01:00:00+00:00',
        count: 0,
        start_time: '2026-03-01T01:00:00.000Z',
        end_time: '2026-03-01T01:59:59.999999Z',
      },
      {
        value: '2',
        label: '2026-03-01T02:00:00+00:00',
        count: 1,
        start_time: '2026-03-01T02:00:00.000Z',
        end_time: '2026-03-01T02:59:59.999999Z',
      },
    ]);
  });

  it('takes fractional intervals and Monday weeks as Prefect does', () => {
    const minutes = eventCounter(
      'time',
      { since: '2026-03-01T00:00:00.000Z', until: '2026-03-01T00:30:00.000Z' },
      'minute',
      7.5,
      NOW,
    );
    expect(minutes.result().map((s) => [s.label, s.end_time])).toEqual([
      ['2026-03-01T00:00:00+00:00', '2026-03-01T00:07:29.999999Z'],
      ['2026-03-01T00:07:30+00:00', '2026-03-01T00:14:59.999999Z'],
      ['2026-03-01T00:15:00+00:00', '2026-03-01T00:22:29.999999Z'],
      ['2026-03-01T00:22:30+00:00', '2026-03-01T00:29:59.999999Z'],
    ]);
    const weeks = eventCounter(
      'time',
      { since: '2026-03-04T00:00:00.000Z', until: '2026-03-20T00:00:00.000Z' },
      'week',
      1,
      NOW,
    );
    expect(weeks.result().map((s) => s.label)).toEqual([
      '2026-03-02T00:00:00+00:00',
      '2026-03-09T00:00:00+00:00',
      '2026-03-16T00:00:00+00:00',
    ]);
  });

  it("refuses more than 1,000 buckets with Prefect's message", () => {
    expect(() =>
      eventCounter('time', { since: '2026-03-01T00:00:00.000Z', until: '2026-03-02T00:00:00.000Z' }, 'second', 1, NOW),
    ).toThrow(
      new InvalidCountParameters(
        'The given interval would create 86400 buckets, which is too many. Please increase the interval or reduce the time range to produce 1000 buckets or fewer.',
      ),
    );
  });

  it('a range reaching past now ends with the period containing now', () => {
    const now = new Date('2026-03-01T02:15:00Z');
    const counter = eventCounter(
      'day',
      { since: '2026-03-01T00:00:00.000Z', until: '2026-03-09T00:00:00.000Z' },
      'hour',
      3,
      now,
    );
    expect(counter.result().map((s) => s.label)).toEqual(['2026-03-01T00:00:00+00:00']); // `day` ignores unit and interval
  });
});

describe('counting events by name and resource', () => {
  it('orders by count then label; a resource is labelled by the name on its latest event', () => {
    const resource = (name?: string) => ({
      'prefect.resource.id': 'r.1',
      ...(name ? { 'prefect.resource.name': name } : {}),
    });
    const byResource = eventCounter(
      'resource',
      { since: '2026-01-01T00:00:00Z', until: '2026-12-01T00:00:00Z' },
      'day',
      1,
      NOW,
    );
    const byEvent = eventCounter(
      'event',
      { since: '2026-01-01T00:00:00Z', until: '2026-12-01T00:00:00Z' },
      'day',
      1,
      NOW,
    );
    const events = [
      at('2026-03-01T00:00:02.000Z', { event: 'b.thing', resource: resource('new name') }),
      at('2026-03-01T00:00:01.000Z', { event: 'b.thing', resource: resource('old name') }),
      at('2026-03-01T00:00:03.000Z', { event: 'a.thing', resource: { 'prefect.resource.id': 'r.2' } }),
    ];
    for (const e of events) {
      byResource.add(e);
      byEvent.add(e);
    }
    expect(byResource.result()).toEqual([
      {
        value: 'r.1',
        label: 'new name',
        count: 2,
        start_time: '2026-03-01T00:00:01.000Z',
        end_time: '2026-03-01T00:00:02.000Z',
      },
      {
        value: 'r.2',
        label: 'r.2',
        count: 1,
        start_time: '2026-03-01T00:00:03.000Z',
        end_time: '2026-03-01T00:00:03.000Z',
      },
    ]);
    expect(byEvent.result().map((c) => [c.value, c.count])).toEqual([
      ['b.thing', 2],
      ['a.thing', 1],
    ]);
  });
});
