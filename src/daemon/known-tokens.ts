/** The access tokens sso-sync has seen, so that its own refreshes are not taken for a sign-in. */
import { sha256Hex } from '../core/sha256.js';
import type { CachedToken } from '../token/cache.js';

/** Told of a token sso-sync itself wrote. */
export type Refreshed = (session: string, token: CachedToken) => void;

// Only a hash is kept: the daemon holds no access token longer than it needs.

/** Per session, the access token sso-sync last saw (found at start, written by a refresh, or seen appearing). */
export class KnownTokens {
  private readonly known = new Map<string, string>();

  /** Records the session's token as seen; true when it was not the one seen last (a new token). */
  see(session: string, accessToken: string): boolean {
    const hash = sha256Hex(accessToken);
    if (this.known.get(session) === hash) return false;
    this.known.set(session, hash);
    return true;
  }

  /** For the token keeper: every token it writes is known, so the cache watcher ignores it. */
  readonly refreshed: Refreshed = (session, token) => {
    this.see(session, token.accessToken);
  };
}
