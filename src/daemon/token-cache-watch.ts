/**
 * What the daemon makes of a change in the AWS CLI's token cache: a token it has not seen (from `sso-sync login` or
 * `aws sso login`) is a sign-in, and its session is synced at once; a token sso-sync wrote itself says nothing.
 */
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { tokenCachePath } from '../paths.js';
import { formatCacheTime, type CachedToken } from '../token/cache.js';
import type { Current } from './current.js';
import type { KnownTokens } from './known-tokens.js';

/** What the token cache watcher needs. */
export interface TokenCacheWatchDeps {
  log: Logger;
  home: string;
  current: Current;
  known: KnownTokens;
  /** The session's cached token; undefined when there is none or it cannot be read. */
  readToken(session: string): Promise<CachedToken | undefined>;
  /** A sign-in happened (logged already): sync the session. */
  signedIn(session: string): void;
  /** Resolves once sso-sync's own token writes now under way are known (see DaemonDeps.tokenWritesSettled). */
  writesSettled(): Promise<void>;
}

/** Finds the sign-ins among the changes in the token cache. */
export class TokenCacheWatch {
  constructor(private readonly deps: TokenCacheWatchDeps) {}

  /** The tokens in the cache at start are known; any other that appears later is a sign-in. */
  async rememberAll(): Promise<void> {
    for (const name of this.deps.current.names()) {
      const token = await this.deps.readToken(name);
      if (token) this.deps.known.see(name, token.accessToken);
    }
  }

  /** A file in the cache changed: a new token of a session synced now is a sign-in. */
  async changed(file: string): Promise<void> {
    const { home, known, log } = this.deps;
    const name = this.deps.current.names().find((n) => path.resolve(tokenCachePath(home, n)) === path.resolve(file));
    if (name === undefined) return;
    await this.deps.writesSettled();
    const token = await this.deps.readToken(name);
    // Unreadable, or sso-sync's own refresh (or a token already seen).
    if (!token || !known.see(name, token.accessToken)) return;
    log.info(
      { event: 'token.new', session: name, expiresAt: formatCacheTime(token.expiresAt) },
      `a new token for sso-session ${name} appeared (a sign-in); syncing it now`,
    );
    this.deps.signedIn(name);
  }
}
