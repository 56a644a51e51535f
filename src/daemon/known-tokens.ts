/** The access tokens sso-sync has seen, so that its own refreshes are not taken for a sign-in. */
import { shortSha256Hex } from '../core/short-hash.js';

/**
 * Told of a token sso-sync itself wrote, by the hash of its access token (a worker process wrote it: only the hash
 * crosses to the daemon).
 */
export type Refreshed = (session: string, accessTokenHash: string) => void;

// Only a hash is kept: the daemon holds no access token longer than it needs.

/** Per session, the access token sso-sync last saw (found at start, written by a refresh, or seen appearing). */
export class KnownTokens {
  private readonly known = new Map<string, string>();

  /** Records the session's token as seen; true when it was not the one seen last (a new token). */
  see(session: string, accessToken: string): boolean {
    return this.seeHash(session, shortSha256Hex(accessToken));
  }

  /** `see`, by the access token's hash. */
  private seeHash(session: string, hash: string): boolean {
    if (this.known.get(session) === hash) return false;
    this.known.set(session, hash);
    return true;
  }

  /** For the token refreshes: every token sso-sync writes is known, so the cache watcher ignores it. */
  readonly refreshed: Refreshed = (session, accessTokenHash) => {
    this.seeHash(session, accessTokenHash);
  };
}
