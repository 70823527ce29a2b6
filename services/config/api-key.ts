// The management API key: TRIPWIRE_API_KEY when set, otherwise a strong key generated at first start and kept in
// the data folder (mode 0600), where the CLI on the same machine finds it. Keys are compared in constant time so the
// answer's timing says nothing about how much of a guess was right.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const API_KEY_FILE = 'api-key';

/** Returns the key to enforce, and whether it was generated just now (so it is printed once). */
export function resolveApiKey(options: { apiKey?: string; dataDir: string }): { key: string; generated: boolean } {
  if (options.apiKey) return { key: options.apiKey, generated: false };
  const file = path.join(options.dataDir, API_KEY_FILE);
  const existing = readApiKeyFile(options.dataDir);
  if (existing) return { key: existing, generated: false };
  fs.mkdirSync(options.dataDir, { recursive: true });
  const key = `tw_${crypto.randomBytes(32).toString('base64url')}`;
  // 'wx' fails if another process created the file first; then its key wins.
  try {
    fs.writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { key: readApiKeyFile(options.dataDir)!, generated: false };
    throw error;
  }
  return { key, generated: true };
}

/** Returns the key stored in `dataDir`, or undefined when there is none. */
export function readApiKeyFile(dataDir: string): string | undefined {
  try {
    const key = fs.readFileSync(path.join(dataDir, API_KEY_FILE), 'utf8').trim();
    return key === '' ? undefined : key;
  } catch {
    return undefined;
  }
}

/** Returns whether an Authorization header carries `apiKey`, as a bearer token or as a Basic password. */
export function apiKeyMatcher(apiKey: string): (header: string) => boolean {
  const expected = digest(apiKey);
  return (header) => {
    const given = presentedKey(header);
    return given !== undefined && crypto.timingSafeEqual(digest(given), expected);
  };
}

function presentedKey(header: string): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) return bearer[1]!.trim();
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

function digest(text: string): Buffer {
  return crypto.createHash('sha256').update(text).digest();
}
