// Glob semantics ported from CPython's Lib/test/test_fnmatch.py (Prefect's label matcher is fnmatch.fnmatchcase) and
// the event-name prefix regex of Prefect's EventTrigger.event_pattern.
import { compileEventPrefix, compileGlob } from '../../../core/events/glob';
import { globMatch } from '../../../core/events/matching';

const lowercase = 'abcdefghijklmnopqrstuvwxyz';
const digits = '0123456789';
const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const testChars = [...lowercase, ...digits, ...punctuation];

describe('globMatch(pattern, value) — CPython test_fnmatch', () => {
  it.each<[string, string, boolean]>([
    ['abc', 'abc', true],
    ['abc', '?*?', true],
    ['abc', '???*', true],
    ['abc', '*???', true],
    ['abc', '???', true],
    ['abc', '*', true],
    ['abc', 'ab[cd]', true],
    ['abc', 'ab[!de]', true],
    ['abc', 'ab[de]', false],
    ['a', '??', false],
    ['a', 'b', false],
    // backslash is an ordinary character, also inside sets (SF bug #409651)
    ['\\', '[\\]', true],
    ['a', '[!\\]', true],
    ['\\', '[!\\]', false],
    // newlines are ordinary characters for * and ?
    ['foo\nbar', 'foo*', true],
    ['foo\nbar\n', 'foo*', true],
    ['\nfoo', 'foo*', false],
    ['\n', '*', true],
    // fnmatchcase is case-sensitive and does not normalise separators
    ['AbC', 'abc', false],
    ['abc', 'AbC', false],
    ['AbC', 'AbC', true],
    ['usr\\bin', 'usr/bin', false],
    ['usr/bin', 'usr\\bin', false],
    ['usr\\bin', 'usr\\bin', true],
    // test_warnings: set operations and nested-set lookalikes are literal
    ['[', '[[]', true],
    ['&', '[a&&b]', true],
    ['|', '[a||b]', true],
    ['~', '[a~~b]', true],
    [',', '[a-z+--A-Z]', true],
    ['.', '[a-z--/A-Z]', true],
  ])('%j against %j is %s', (value, pattern, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });

  it('does not backtrack exponentially (test_slow_fnmatch)', () => {
    expect(globMatch('*a*a*a*a*a*a*a*a*a*a', 'a'.repeat(50))).toBe(true);
    expect(globMatch('*a*a*a*a*a*a*a*a*a*a', 'a'.repeat(50) + 'b')).toBe(false);
    expect(globMatch('*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(1000))).toBe(false);
  });

  it('matches character sets as test_char_set does', () => {
    for (const c of testChars) {
      expect([c, globMatch('[az]', c)]).toEqual([c, 'az'.includes(c)]);
      expect([c, globMatch('[!az]', c)]).toEqual([c, !'az'.includes(c)]);
    }
    for (const c of testChars) {
      expect([c, globMatch('[]]', c)]).toEqual([c, c === ']']);
      expect([c, globMatch('[!]]', c)]).toEqual([c, c !== ']']);
      expect([c, globMatch('[]-a]', c)]).toEqual([c, c >= ']' && c <= 'a']);
    }
  });

  it.each<[string, (c: string) => boolean]>([
    ['[b-d]', (c) => 'bcd'.includes(c)],
    ['[!b-d]', (c) => !'bcd'.includes(c)],
    ['[b-dx-z]', (c) => 'bcdxyz'.includes(c)],
    ['[!b-dx-z]', (c) => !'bcdxyz'.includes(c)],
    ['[b-b]', (c) => c === 'b'],
    ['[!-#]', (c) => !'-#'.includes(c)],
    ['[!--.]', (c) => !'-.'.includes(c)],
    ['[^-`]', (c) => '^_`'.includes(c)],
    ['[[-^]', (c) => '[\\]^'.includes(c)],
    ['[\\-^]', (c) => '\\]^'.includes(c)],
    ['[b-]', (c) => '-b'.includes(c)],
    ['[!b-]', (c) => !'-b'.includes(c)],
    ['[-b]', (c) => '-b'.includes(c)],
    ['[!-b]', (c) => !'-b'.includes(c)],
    ['[-]', (c) => c === '-'],
    ['[!-]', (c) => c !== '-'],
    // a reversed range is dropped, as CPython drops it before compiling
    ['[d-b]', () => false],
    ['[!d-b]', () => true],
    ['[d-bx-z]', (c) => 'xyz'.includes(c)],
    ['[!d-bx-z]', (c) => !'xyz'.includes(c)],
    ['[d-b^-`]', (c) => '^_`'.includes(c)],
  ])('reads the range set %s as test_range does', (pattern, member) => {
    for (const c of testChars) expect([c, globMatch(pattern, c)]).toEqual([c, member(c)]);
  });

  it.each<[string, string, boolean]>([
    ['[', '[', true],
    ['[!', '[!', true],
    ['a[b', 'a[b', true],
    ['[!]', '[!]', true],
    ['[!]', '!', false],
  ])('treats an unclosed [ as a literal: %j against %j is %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });

  it('matches ? against one code point, as Python strings count characters', () => {
    expect(globMatch('?', '😀')).toBe(true);
    expect(globMatch('??', '😀')).toBe(false);
    expect(globMatch('[😀]', '😀')).toBe(true);
    expect(globMatch('é?', 'éa')).toBe(true);
  });
});

describe('compileEventPrefix(pattern) — one alternative of Prefect event_pattern', () => {
  it.each<[string, string, boolean]>([
    ['foo', 'foo', true],
    ['foo', 'foobar', true], // re.match is anchored at the start only
    ['foo', 'xfoo', false],
    ['foo*', 'foo', false], // * is .+
    ['foo*', 'foox', true],
    ['foo*', 'foo\nbar', false], // . does not match a newline
    ['foo**', 'foox', false], // each * needs its own character
    ['foo**', 'fooxy', true],
    ['*.Completed', '.Completed', false],
    ['prefect.*.Completed', 'prefect.flow-run.Completed', true],
    ['prefect.*.Completed', 'prefect..Completed', false],
    ['prefect.*.Completed', 'prefect.flow-run.Completed.extra', true],
    ['a?c', 'abc', false], // ? is escaped, so literal
    ['a?c', 'a?c', true],
    ['[ab]', 'a', false],
    ['[ab]', '[ab]', true],
    ['', 'anything', true],
  ])('%j against %j is %s', (pattern, value, expected) => {
    expect(compileEventPrefix(pattern)(value)).toBe(expected);
  });

  it('does not backtrack exponentially', () => {
    expect(compileEventPrefix('*a*a*a*a*a*a*a*a*a*b')('a'.repeat(1000))).toBe(false);
  });
});

describe('compileGlob(pattern)', () => {
  it('returns a reusable matcher', () => {
    const matcher = compileGlob('prefect.flow-run.*');
    expect(['prefect.flow-run.Running', 'prefect.flow-run.', 'prefect.flow-runs'].map(matcher)).toEqual([
      true,
      true,
      false,
    ]);
  });
});
