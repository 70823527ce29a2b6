// Console sessions and CSRF tokens without a server: signed, expiring, revocable, bound to the key that signed them.
import { ConsoleAuth } from '../../../api/console/session';

describe('console sessions', () => {
  let now = 1_800_000_000_000;
  const auth = (apiKey = 'key-1', password?: string) =>
    new ConsoleAuth({ apiKey, password, sessionSeconds: 3600, secure: false, now: () => now });

  it('accepts its own cookie until it expires', () => {
    const a = auth();
    const { cookie, session } = a.issue();
    expect(a.verify(cookie)).toEqual(session);
    now += 3599_000;
    expect(a.verify(cookie)).toEqual(session);
    now += 1000;
    expect(a.verify(cookie)).toBeUndefined();
  });

  it('refuses tampered cookies, and cookies signed under another key or password', () => {
    const a = auth();
    const { cookie } = a.issue();
    const [v, expires, nonce, mac] = cookie.split('.');
    expect(a.verify(`${v}.${Number(expires) + 3_600_000}.${nonce}.${mac}`)).toBeUndefined();
    expect(a.verify(`${v}.${expires}.${nonce}.${mac!.slice(0, -1)}A`)).toBeUndefined();
    expect(a.verify('')).toBeUndefined();
    expect(a.verify(undefined)).toBeUndefined();
    expect(auth('key-2').verify(cookie)).toBeUndefined();
    expect(auth('key-1', 'pw').verify(cookie)).toBeUndefined();
  });

  it('ends a session on sign-out, and only that one', () => {
    const a = auth();
    const first = a.issue();
    const second = a.issue();
    a.revoke(first.session);
    expect(a.verify(first.cookie)).toBeUndefined();
    expect(a.verify(second.cookie)).toEqual(second.session);
  });

  it('binds CSRF tokens to the session and to their purpose', () => {
    const a = auth();
    const { session } = a.issue();
    const token = a.csrfToken(session.nonce);
    expect(a.checkCsrf(session.nonce, token)).toBe(true);
    expect(a.checkCsrf(a.issue().session.nonce, token)).toBe(false);
    expect(a.checkCsrf(session.nonce, token, 'sign-in')).toBe(false);
    expect(a.checkCsrf(session.nonce, undefined)).toBe(false);
  });

  it('signs in with the API key, or with the console password when one is set', () => {
    expect(auth().checkCredential('key-1')).toBe(true);
    expect(auth().checkCredential('key-2')).toBe(false);
    expect(auth('key-1', 'pw').checkCredential('key-1')).toBe(false);
    expect(auth('key-1', 'pw').checkCredential('pw')).toBe(true);
    expect(auth('key-1', 'pw').credentialName).toBe('console password');
  });
});
