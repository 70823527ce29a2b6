// Ids: UUIDv7 generation (Prefect's clients use uuid7, so ids sort by creation time), UUID parsing, and ids derived
// from other ids (UUIDv5), so that an activity retried after a crash emits events with the same ids, which the event
// store then ignores as duplicates. Time and entropy are parameters, never read here, so the module stays
// deterministic inside the workflow sandbox.
import { sha1 } from '@noble/hashes/legacy.js';

/** A UUID in canonical hyphenated form, any case, any version. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIMPLE = /^[0-9a-f]{32}$/i;
const MAX_TIMESTAMP = 2 ** 48 - 1;

/**
 * Returns a UUIDv7 (RFC 9562) for `nowMs` with 74 random bits drawn from `random` (a `Math.random`-like source of
 * numbers in [0, 1), e.g. backed by `crypto.randomBytes`). Ids sort by millisecond, not within one millisecond.
 * Throws RangeError when `nowMs` is not an integer in [0, 2^48).
 */
export function uuid7(nowMs: number, random: () => number): string {
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs > MAX_TIMESTAMP) {
    throw new RangeError(`uuid7 needs a millisecond timestamp in [0, 2^48), got ${nowMs}`);
  }
  const bytes = new Array<number>(16);
  let time = nowMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  for (let i = 6; i < 16; i++) bytes[i] = Math.floor(random() * 256) & 0xff;
  bytes[6] = 0x70 | (bytes[6]! & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8]! & 0x3f); // RFC 9562 variant
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Returns true when `value` is a UUID in canonical hyphenated form (any case, any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/**
 * Returns `value` as a lowercase hyphenated UUID when it is one in a spelling pydantic accepts (the Rust `uuid`
 * crate's `parse_str`: hyphenated, 32 bare hex digits, `{hyphenated}` or `urn:uuid:hyphenated`, any case), else
 * undefined. Normalising lets ids dedupe as Prefect's UUID objects do. Any version and variant is accepted.
 */
export function normaliseUuid(value: string): string | undefined {
  let core = value;
  if (core.length === 45 && core.startsWith('urn:uuid:')) core = core.slice(9);
  else if (core.length === 38 && core.startsWith('{') && core.endsWith('}')) core = core.slice(1, -1);
  if (UUID_PATTERN.test(core)) return core.toLowerCase();
  if (!SIMPLE.test(core)) return undefined;
  const hex = core.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const NAMESPACE = hexBytes('5f3a4c2e9b7d41e8a6c1d0e2f3b4a596');
const encoder = new TextEncoder();

/** Returns the UUIDv5 of `parts` joined by ':' under tripwire's namespace. */
export function derivedId(...parts: string[]): string {
  const name = encoder.encode(parts.join(':'));
  const input = new Uint8Array(NAMESPACE.length + name.length);
  input.set(NAMESPACE);
  input.set(name, NAMESPACE.length);
  const hash = sha1(input);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = Array.from(hash.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}
