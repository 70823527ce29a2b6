// How deeply a JSON text nests arrays and objects. V8's JSON.parse is iterative and takes any depth, but nearly
// everything after it (JSON.stringify, zod, templates, Temporal's payload converter) recurses, so a body nested tens
// of thousands deep overflowed the stack far from the door. Bodies are checked once, where they are parsed.

/**
 * Deepest nesting of arrays and objects tripwire accepts in a request body. Real payloads nest a handful of levels
 * (GitHub's about six); serde_json stops at the same 128, and Node recurses safely well beyond it.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Returns true when `text`, a JSON text that JSON.parse accepted, nests arrays and objects more than `limit` deep.
 * Linear in the text and without recursion, so it is safe on any input.
 */
export function exceedsJsonDepth(text: string, limit = MAX_JSON_DEPTH): boolean {
  if (text.length <= limit) return false; // each level needs at least one character
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/** The message of a refused body, naming the limit. */
export function tooDeepMessage(what: string, limit = MAX_JSON_DEPTH): string {
  return `${what} nests arrays and objects more than ${limit} levels deep, the limit`;
}
