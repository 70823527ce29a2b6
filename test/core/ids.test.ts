import { isUuid, normaliseUuid, uuid7 } from '../../core/ids';

/** A deterministic [0, 1) source (mulberry32), so failures reproduce. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('uuid7(nowMs, random)', () => {
  it('puts the millisecond timestamp in the first 48 bits, with version 7 and the RFC variant', () => {
    const id = uuid7(Date.UTC(2024, 0, 31, 12), seeded(1));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2024, 0, 31, 12));
  });

  it('sorts ids of later milliseconds after earlier ones, as strings', () => {
    const random = seeded(2);
    const ids = Array.from({ length: 200 }, (_, i) => uuid7(1_700_000_000_000 + i * 7, random));
    expect([...ids].sort()).toEqual(ids);
  });

  it('takes its entropy from the given source only', () => {
    expect(uuid7(0, () => 0)).toBe('00000000-0000-7000-8000-000000000000');
    expect(uuid7(2 ** 48 - 1, () => 0.999999)).toBe('ffffffff-ffff-7fff-bfff-ffffffffffff');
    expect(uuid7(5, seeded(3))).toBe(uuid7(5, seeded(3)));
  });

  it.each([-1, 1.5, 2 ** 48, Number.NaN])('throws RangeError for the timestamp %s', (now) => {
    expect(() => uuid7(now, Math.random)).toThrow(RangeError);
  });
});

describe('isUuid(value) and normaliseUuid(value)', () => {
  const id = '0190a8f2-7b3c-7d4e-8f01-23456789abcd';

  it('recognises only the canonical hyphenated form, any case', () => {
    expect(isUuid(id)).toBe(true);
    expect(isUuid(id.toUpperCase())).toBe(true);
    expect(isUuid(id.replace(/-/g, ''))).toBe(false);
    expect(isUuid(`{${id}}`)).toBe(false);
    expect(isUuid(42)).toBe(false);
  });

  it('normalises the spellings pydantic accepts to lowercase hyphenated', () => {
    for (const spelling of [id, id.toUpperCase(), id.replace(/-/g, ''), `{${id}}`, `urn:uuid:${id}`]) {
      expect(normaliseUuid(spelling)).toBe(id);
    }
  });

  it('rejects anything else', () => {
    for (const spelling of [`${id}}`, `{${id}`, `urn:uuid:${id.replace(/-/g, '')}`, id.slice(0, 35), `${id} `, '']) {
      expect(normaliseUuid(spelling)).toBeUndefined();
    }
  });
});
