// Ids derived from other ids (UUIDv5 under tripwire's namespace), so that an activity retried after a crash emits
// events with the same ids, which the event store then ignores as duplicates.
import crypto from 'node:crypto';

const NAMESPACE = Buffer.from('5f3a4c2e9b7d41e8a6c1d0e2f3b4a596', 'hex');

/** Returns the UUIDv5 of `parts` joined by ':'. */
export function derivedId(...parts: string[]): string {
  const hash = crypto.createHash('sha1').update(NAMESPACE).update(parts.join(':')).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
