// The two pattern languages Prefect applies to labels and event names, compiled to small automata instead of RegExps
// so that no pattern a user writes can make matching backtrack exponentially (names and labels come from webhooks).
//
// Implementation notes:
// - Glob = Python's `fnmatch.fnmatchcase` (what Prefect's server `matches()` calls since 3.6.23): full-string,
//   case-sensitive; `*` any run of characters (newlines included), `?` one character, `[seq]`/`[!seq]` one character
//   in/not in the set. The set body is read exactly as CPython's `fnmatch._translate` + `sre_parse` read it:
//   `]` first in the set is literal, a `[` without a closing `]` is a literal `[`, a `-` first or last is literal,
//   backslash is an ordinary character, a reversed range (`[d-b]`) is dropped (`[d-b]` never matches, `[!d-b]`
//   matches any character) and ranges compare code points. Matching runs over code points, as Python strings do.
// - Event prefix = Prefect's `EventTrigger.event_pattern` (server `schemas/automations.py`): each pattern is
//   `re.escape`d, every `*` becomes `.+` (ONE or more characters other than a newline, since the regex has no
//   DOTALL), and the regex is applied with `re.match`: anchored at the start, open at the end. `?` and `[` are
//   literal there.
// - Both compile to a token list run by a set-of-states simulation: O(pattern length × value length), no
//   backtracking. Literal patterns and a single trailing `*` take string fast paths.

/** A compiled pattern: returns true when `value` matches. */
export type Matcher = (value: string) => boolean;

type CharTest = (codePoint: number) => boolean;

/** `one` consumes exactly one character passing `test`; `star` consumes any number of them. */
type Token = { kind: 'one'; test: CharTest } | { kind: 'star'; test: CharTest };

const ANY: CharTest = () => true;
const NEVER: CharTest = () => false;
const NEWLINE = 0x0a;
const NOT_NEWLINE: CharTest = (cp) => cp !== NEWLINE;
const GLOB_SPECIAL = /[*?[]/;

/** Returns a matcher implementing `fnmatch.fnmatchcase(value, pattern)`. Never throws. */
export function compileGlob(pattern: string): Matcher {
  if (!GLOB_SPECIAL.test(pattern)) return (value) => value === pattern;
  const firstSpecial = pattern.search(GLOB_SPECIAL);
  if (firstSpecial === pattern.length - 1 && pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (value) => value.startsWith(prefix);
  }
  const tokens = parseGlob(Array.from(pattern));
  return (value) => run(tokens, value, true);
}

/**
 * Returns a matcher implementing one alternative of Prefect's `event_pattern` regex: true when some prefix of
 * `value` matches `pattern`, where each `*` stands for one or more non-newline characters. Never throws.
 */
export function compileEventPrefix(pattern: string): Matcher {
  if (!pattern.includes('*')) return (value) => value.startsWith(pattern);
  if (pattern.indexOf('*') === pattern.length - 1) {
    const prefix = pattern.slice(0, -1);
    return (value) =>
      value.length > prefix.length && value.startsWith(prefix) && value.charCodeAt(prefix.length) !== NEWLINE;
  }
  const tokens: Token[] = [];
  for (const char of pattern) {
    if (char === '*') tokens.push({ kind: 'one', test: NOT_NEWLINE }, { kind: 'star', test: NOT_NEWLINE });
    else tokens.push(literal(char));
  }
  return (value) => run(tokens, value, false);
}

function literal(char: string): Token {
  const expected = char.codePointAt(0);
  return { kind: 'one', test: (cp) => cp === expected };
}

/** Tokenises a glob given as code points, following CPython's `fnmatch._translate`. */
function parseGlob(pat: string[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pat.length) {
    const c = pat[i++]!;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star', test: ANY });
    } else if (c === '?') {
      tokens.push({ kind: 'one', test: ANY });
    } else if (c === '[') {
      const set = parseSet(pat, i);
      if (set) {
        tokens.push({ kind: 'one', test: set.test });
        i = set.next;
      } else {
        tokens.push(literal('['));
      }
    } else {
      tokens.push(literal(c));
    }
  }
  return tokens;
}

/** An element of a set body after CPython's escaping: `range` marks an unescaped `-` joining two chunks. */
type Atom = { char: string; range: boolean };

/** Parses the set starting after a `[` at `start`; undefined when it never closes (the `[` is then literal). */
function parseSet(pat: string[], start: number): { test: CharTest; next: number } | undefined {
  let j = start;
  if (pat[j] === '!') j++;
  if (pat[j] === ']') j++;
  while (j < pat.length && pat[j] !== ']') j++;
  if (j >= pat.length) return undefined;

  const stuff = pat.slice(start, j);
  let atoms: Atom[];
  if (!stuff.includes('-')) {
    atoms = stuff.map((char) => ({ char, range: false }));
  } else {
    // Split into chunks at the hyphens that form ranges (the first character, after any `!`, cannot start one).
    const chunks: string[][] = [];
    let from = start;
    let k = pat[start] === '!' ? start + 2 : start + 1;
    for (;;) {
      k = k < j ? pat.indexOf('-', k) : -1;
      if (k < 0 || k >= j) break;
      chunks.push(pat.slice(from, k));
      from = k + 1;
      k += 3;
    }
    const last = pat.slice(from, j);
    if (last.length > 0) chunks.push(last);
    else chunks.at(-1)!.push('-');
    // Drop reversed ranges, which `re` would reject ("Remove empty ranges -- invalid in RE").
    for (let m = chunks.length - 1; m > 0; m--) {
      const left = chunks[m - 1]!;
      const right = chunks[m]!;
      if (left.at(-1)!.codePointAt(0)! > right[0]!.codePointAt(0)!) {
        chunks[m - 1] = [...left.slice(0, -1), ...right.slice(1)];
        chunks.splice(m, 1);
      }
    }
    atoms = chunks.flatMap((chunk, index) => [
      ...(index > 0 ? [{ char: '-', range: true }] : []),
      ...chunk.map((char) => ({ char, range: false })),
    ]);
  }

  if (atoms.length === 0) return { test: NEVER, next: j + 1 };
  if (atoms.length === 1 && atoms[0]!.char === '!') return { test: ANY, next: j + 1 };
  const negated = atoms[0]!.char === '!' && !atoms[0]!.range;
  return { test: setTest(negated ? atoms.slice(1) : atoms, negated), next: j + 1 };
}

/** Reads set atoms as `sre_parse` reads a class body: `a-b` is a range, any other atom a literal. */
function setTest(atoms: Atom[], negated: boolean): CharTest {
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < atoms.length; i++) {
    const low = atoms[i]!.char.codePointAt(0)!;
    if (atoms[i + 1]?.range && i + 2 < atoms.length) {
      ranges.push([low, atoms[i + 2]!.char.codePointAt(0)!]);
      i += 2;
    } else {
      ranges.push([low, low]);
    }
  }
  return (cp) => ranges.some(([low, high]) => low <= cp && cp <= high) !== negated;
}

/** Simulates `tokens` over `value`; `wholeValue` false accepts as soon as a prefix of `value` matches. */
function run(tokens: Token[], value: string, wholeValue: boolean): boolean {
  const size = tokens.length + 1;
  let current = new Uint8Array(size);
  let next = new Uint8Array(size);
  current[0] = 1;
  closeOverStars(tokens, current);
  if (!wholeValue && current[tokens.length] === 1) return true;
  for (const char of value) {
    const cp = char.codePointAt(0)!;
    next.fill(0);
    let alive = false;
    for (let state = 0; state < tokens.length; state++) {
      if (current[state] !== 1) continue;
      const token = tokens[state]!;
      if (!token.test(cp)) continue;
      next[token.kind === 'star' ? state : state + 1] = 1;
      alive = true;
    }
    if (!alive) return false;
    closeOverStars(tokens, next);
    if (!wholeValue && next[tokens.length] === 1) return true;
    [current, next] = [next, current];
  }
  return current[tokens.length] === 1;
}

/** A `star` may match nothing, so reaching it also reaches the state after it. */
function closeOverStars(tokens: Token[], states: Uint8Array): void {
  for (let state = 0; state < tokens.length; state++) {
    if (states[state] === 1 && tokens[state]!.kind === 'star') states[state + 1] = 1;
  }
}
