/** The emulator's access tokens: issued at random, checked against their expiry, revocable. */
import { randomBytes } from 'node:crypto';

/** Why a presented token is (not) usable. */
export type TokenStatus = 'valid' | 'missing' | 'unknown' | 'revoked' | 'expired';

interface TokenRecord {
  expiresAtMs: number;
  revoked: boolean;
}

/** The tokens one emulator has issued; each emulator owns its own store. */
export class TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();

  /** Issues a token valid for `lifetimeSeconds` from `nowMs` (zero or negative gives an already expired token). */
  issue(nowMs: number, lifetimeSeconds: number): { accessToken: string; expiresAt: Date } {
    // Shaped like the service's tokens (a short prefix, then opaque base64) and long enough to be unguessable,
    // so a test that finds one in a log line knows it leaked.
    const accessToken = `aoa${randomBytes(48).toString('base64url')}`;
    const expiresAtMs = nowMs + lifetimeSeconds * 1000;
    this.tokens.set(accessToken, { expiresAtMs, revoked: false });
    return { accessToken, expiresAt: new Date(expiresAtMs) };
  }

  /** Marks a token revoked; unknown tokens are ignored, as a logout of an unknown session is. */
  revoke(token: string): void {
    const record = this.tokens.get(token);
    if (record !== undefined) record.revoked = true;
  }

  /** Whether `token` (as sent by a client; undefined when absent) may be used at `nowMs`. */
  check(token: string | undefined, nowMs: number): TokenStatus {
    if (token === undefined || token === '') return 'missing';
    const record = this.tokens.get(token);
    if (record === undefined) return 'unknown';
    if (record.revoked) return 'revoked';
    return nowMs >= record.expiresAtMs ? 'expired' : 'valid';
  }

  /** Every token ever issued, revoked and expired ones included. */
  all(): string[] {
    return [...this.tokens.keys()];
  }
}
