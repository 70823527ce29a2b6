// Console sign-in: a signed, expiring session cookie and the CSRF tokens bound to it. Sessions are stateless (an
// HMAC over expiry and a random nonce, keyed by the API key and the console password), so they survive a restart
// and die with a changed key; signing out also remembers the nonce until the session would have expired anyway.
import crypto from 'node:crypto';

export const SESSION_COOKIE = 'tripwire_session';
/** Set by the sign-in page so its form's CSRF token is bound to this browser before any session exists. */
export const SIGN_IN_COOKIE = 'tripwire_sign_in';

export interface Session {
  nonce: string;
  expires: number;
}

export interface ConsoleAuthOptions {
  apiKey: string;
  password: string | undefined;
  sessionSeconds: number;
  /** Whether cookies carry `Secure` (TRIPWIRE_PUBLIC_URL is https). */
  secure: boolean;
  now?: () => number;
}

/** Issues and checks console sessions and CSRF tokens. */
export class ConsoleAuth {
  private readonly secret: Buffer;
  private readonly credential: Buffer;
  private readonly revoked = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: ConsoleAuthOptions) {
    this.secret = crypto
      .createHash('sha256')
      .update(`tripwire console\0${options.apiKey}\0${options.password ?? ''}`)
      .digest();
    this.credential = digest(options.password ?? options.apiKey);
    this.now = options.now ?? Date.now;
  }

  /** What the sign-in form asks for. */
  get credentialName(): string {
    return this.options.password === undefined ? 'API key' : 'console password';
  }

  /** Compares in constant time, so timing says nothing about how much of a guess was right. */
  checkCredential(given: string): boolean {
    return crypto.timingSafeEqual(digest(given), this.credential);
  }

  /** Returns a new session and its cookie value. */
  issue(): { session: Session; cookie: string } {
    const session = { nonce: crypto.randomBytes(18).toString('base64url'), expires: this.now() + this.ttlMs };
    const body = `v1.${session.expires}.${session.nonce}`;
    return { session, cookie: `${body}.${this.mac(body)}` };
  }

  /** Returns the session a cookie value carries, or undefined when it is forged, expired or signed out. */
  verify(cookie: string | undefined): Session | undefined {
    if (!cookie) return undefined;
    const match = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{24})\.([A-Za-z0-9_-]{43})$/.exec(cookie);
    if (!match) return undefined;
    const body = `v1.${match[1]}.${match[2]}`;
    if (!safeEqual(this.mac(body), match[3]!)) return undefined;
    const session = { expires: Number(match[1]), nonce: match[2]! };
    if (session.expires <= this.now() || this.revoked.has(session.nonce)) return undefined;
    return session;
  }

  /** Ends `session` in this process (the browser's cookie is cleared by the caller). */
  revoke(session: Session): void {
    const now = this.now();
    for (const [nonce, expires] of this.revoked) if (expires <= now) this.revoked.delete(nonce);
    this.revoked.set(session.nonce, session.expires);
  }

  /** The CSRF token of a session (or of a sign-in form's nonce): state-changing requests must echo it. */
  csrfToken(nonce: string, purpose: 'session' | 'sign-in' = 'session'): string {
    return this.mac(`csrf.${purpose}.${nonce}`);
  }

  checkCsrf(nonce: string, given: string | undefined, purpose: 'session' | 'sign-in' = 'session'): boolean {
    return typeof given === 'string' && safeEqual(this.csrfToken(nonce, purpose), given);
  }

  /** Attributes of the console's cookies. */
  cookieOptions(maxAgeMs = this.ttlMs) {
    return {
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: this.options.secure,
      path: '/',
      maxAge: maxAgeMs,
      overwrite: true,
    };
  }

  private get ttlMs(): number {
    return this.options.sessionSeconds * 1000;
  }

  private mac(text: string): string {
    return crypto.createHmac('sha256', this.secret).update(text).digest('base64url');
  }
}

function digest(text: string): Buffer {
  return crypto.createHash('sha256').update(text).digest();
}

function safeEqual(a: string, b: string): boolean {
  return crypto.timingSafeEqual(digest(a), digest(b));
}
