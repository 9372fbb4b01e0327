// Who may use the admin service. One bearer token from the environment (QCB_API_TOKEN) guards
// everything but /health: the API takes it as `Authorization: Bearer …`, the supervisor page as a
// cookie set by its login form. Comparisons run in constant time (both sides hashed first, so
// even the length is not leaked through timing).
//
// The cookie holds an HMAC of the token, not the token itself, and is HttpOnly and
// SameSite=Strict; a state-changing request authenticated by the cookie must also be JSON (the
// page's fetch sends it; a cross-site form cannot, and a cross-site fetch with that type needs a
// CORS preflight this service never grants) — the CSRF guard.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { cookies, HttpError } from './http-kit.js';

export const SESSION_COOKIE = 'qcb_session';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export class Auth {
  /** undefined: no token configured (allowed on loopback only: run-admin.ts). */
  readonly #token: string | undefined;
  readonly #session: string | undefined;

  constructor(token: string | undefined) {
    this.#token = token;
    this.#session = token === undefined ? undefined : createHmac('sha256', token).update('qcb supervisor session v1').digest('base64url');
  }

  get required(): boolean {
    return this.#token !== undefined;
  }

  /** True when the token typed into the login form is right. */
  checkToken(candidate: string): boolean {
    return this.#token === undefined || sameSecret(candidate, this.#token);
  }

  /** The cookie value a right login gets. */
  sessionValue(): string {
    return this.#session ?? 'open';
  }

  /** How the request proved itself, or null. */
  identify(req: IncomingMessage): 'token' | 'cookie' | 'open' | null {
    if (this.#token === undefined) return 'open';
    const h = req.headers.authorization;
    if (h !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
      return m && sameSecret(m[1]!, this.#token) ? 'token' : null;
    }
    const c = cookies(req).get(SESSION_COOKIE);
    return c !== undefined && sameSecret(c, this.#session!) ? 'cookie' : null;
  }

  /** Throws 401 unless the request may act; cookie-authenticated changes must be JSON (CSRF). */
  require(req: IncomingMessage, mutating: boolean): 'token' | 'cookie' | 'open' {
    const who = this.identify(req);
    if (who === null) {
      throw new HttpError(401, 'unauthorized', 'a bearer token is required (Authorization: Bearer $QCB_API_TOKEN)', { headers: { 'www-authenticate': 'Bearer realm="qcb"' } });
    }
    if (who === 'cookie' && mutating) {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') throw new HttpError(403, 'forbidden', 'changes from the supervisor page are sent as application/json');
    }
    return who;
  }
}
