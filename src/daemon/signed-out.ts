/**
 * The daemon's signed-out spells: from the moment a session needs sign-in (its refresh refused, its token expired
 * with no way to refresh it, no token at all) until its token cache file changes (a sign-in). Within a spell the
 * person is told once (one `login.required` line, one notification); the session's syncs are skipped and its token is
 * not refreshed, since the same file can only fail the same way; other sessions sync as usual.
 */
import { shortSha256Hex } from '../core/short-hash.js';
import type { CachedToken } from '../token/cache.js';
import type { SignInNotices } from './sign-in-notices.js';

/**
 * What a session's token cache file holds, as far as a sign-in changes it: a hash of its access and refresh tokens
 * ('' when there is no usable file). Only a hash: the daemon holds no token longer than it needs.
 */
export function tokenFingerprint(token: CachedToken | undefined): string {
  if (!token) return '';
  return shortSha256Hex(`${token.accessToken}\n${token.refreshToken ?? ''}`);
}

/** What the spells need. */
export interface SignedOutDeps {
  /** The session's cached token; undefined when there is none or it cannot be read. */
  readToken(session: string): Promise<CachedToken | undefined>;
  notices: SignInNotices;
}

/** The sessions that wait for a sign-in, each with the token file it failed with. */
export class SignedOut {
  private readonly spells = new Map<string, string>();

  constructor(private readonly deps: SignedOutDeps) {}

  /**
   * Sign-in became required for the session, with its token file as `fingerprint` says. True when a spell begins
   * now: the caller logs `login.required` then, and only then. The person is notified once per spell.
   */
  begin(session: string, fingerprint: string): boolean {
    if (this.spells.has(session)) return false;
    this.spells.set(session, fingerprint);
    this.deps.notices.required(session);
    return true;
  }

  /** A sign-in (a new token): the spell is over; the next one is told again. */
  end(session: string): void {
    this.spells.delete(session);
    this.deps.notices.reset(session);
  }

  /**
   * Every spell ends without a sign-in (new settings: a session's definition may have changed), so each session is
   * tried again; one still signed out is logged again, but not notified again until a new token.
   */
  endAll(): void {
    this.spells.clear();
  }

  /** True while the session waits for a sign-in. */
  has(session: string): boolean {
    return this.spells.has(session);
  }

  /**
   * Of these sessions, the ones that still wait: their token file is as it was when the spell began. A spell whose
   * file changed meanwhile (a sign-in the cache watcher has not reported yet) ends here, and its session syncs.
   */
  async waiting(sessions: readonly string[]): Promise<string[]> {
    const still: string[] = [];
    for (const session of sessions) {
      const began = this.spells.get(session);
      if (began === undefined) continue;
      if (tokenFingerprint(await this.deps.readToken(session)) === began) still.push(session);
      else this.end(session);
    }
    return still;
  }
}
