/**
 * Each session's token timer: a refresh when the token's refresh window opens (so other tools always find a valid
 * token), or, for a token that cannot be refreshed, one sign-in-required report when it expires. A session waiting
 * for a sign-in has no timer: only a new token helps, and the cache watcher sees it. Idle, the daemon holds one
 * timer per session and nothing polls.
 */
import type { RefusedRefreshes } from '../auth/refused-refreshes.js';
import { refreshBlocker } from '../auth/refresh-blocker.js';
import type { Clock, Timer } from '../clock/clock.js';
import type { SessionDef } from '../core/types.js';
import { errorMessage, SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { CachedToken } from '../token/cache.js';
import { backoffMs } from './backoff.js';
import type { Current } from './current.js';
import { tokenFingerprint, type SignedOut } from './signed-out.js';

/** What the token timers need. */
export interface TokenTimerDeps {
  clock: Clock;
  log: Logger;
  current: Current;
  /** The session's cached token; undefined when there is none or it cannot be read. */
  readToken(session: string): Promise<CachedToken | undefined>;
  /** The sessions waiting for a sign-in; a refused refresh or an expiry begins a spell. */
  signedOut: SignedOut;
  /** The refresh tokens the service refused: a token holding one is not refreshed again. */
  refused: RefusedRefreshes;
}

/** The timers of every session's token, and what the refreshes they started taught (failures, sign-in needed). */
export class TokenTimers {
  private readonly timers = new Map<string, Timer>();
  /** Per session, the refreshes in a row that did not succeed. */
  private readonly failures = new Map<string, number>();
  /** Refreshes in flight: a stop waits for them (the service may have rotated the refresh token already). */
  private readonly refreshing = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: TokenTimerDeps) {}

  /** Sets every session's timer again from its token as the cache holds it now. */
  async arm(): Promise<void> {
    this.cancelAll();
    for (const { name } of this.deps.current.sessions) {
      // Not recorded as known here: a sign-in that lands while a sync runs must still be seen as new.
      const token = await this.deps.readToken(name);
      if (token) this.armSession(name, token);
    }
  }

  /** A new token appeared (a sign-in): the refreshes that failed before do not count any more. */
  newToken(session: string): void {
    this.failures.delete(session);
  }

  /** Sets no timer any more and starts no refresh; the refreshes in flight go on (see `inFlight`). */
  stop(): void {
    this.stopped = true;
    this.cancelAll();
  }

  /** Resolves once the refreshes in flight now have ended. */
  async inFlight(): Promise<void> {
    await Promise.all(this.refreshing);
  }

  private cancelAll(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  private set(session: string, ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.timers.get(session)?.cancel();
    this.timers.set(session, this.deps.clock.setTimer(ms, fn));
  }

  private armSession(name: string, token: CachedToken): void {
    const { clock, current } = this.deps;
    const now = clock.now();
    const left = token.expiresAt.getTime() - now;
    // Waiting for a sign-in: nothing to refresh, nothing more to say.
    if (this.deps.signedOut.has(name)) return;
    const blocker = refreshBlocker(token, new Date(now), this.deps.refused);
    if (blocker) {
      // Cannot be refreshed: say so once, when it expires (not again if it already has: the sync said so), then
      // wait for a sign-in, which the cache watcher sees.
      if (left > 0) this.set(name, left, () => this.expired(name, token, blocker));
      return;
    }
    // Due when the refresh window opens; never sooner than half the life left (a window as long as the token's
    // life would otherwise refresh again at once), and after failures, not before the backoff.
    let due = Math.max(left - current.settings.refreshWindowMs, left / 2, 0);
    const failed = this.failures.get(name) ?? 0;
    if (failed > 0) due = Math.max(due, backoffMs(failed));
    this.set(name, due, () => void this.refresh(name));
  }

  private expired(name: string, token: CachedToken, blocker: string | undefined): void {
    // Woken before the token's end by the wall clock (it was set back): wait again.
    if (token.expiresAt.getTime() > this.deps.clock.now()) return void this.arm();
    if (!this.deps.signedOut.begin(name, tokenFingerprint(token))) return;
    this.deps.log.error(
      { event: 'login.required', session: name },
      `the token for sso-session ${name} expired${blocker ? ` and ${blocker}` : ' and cannot be refreshed'}; ` +
        `run \`sso-sync login --session ${name}\``,
    );
  }

  private async refresh(name: string): Promise<void> {
    if (this.stopped) return;
    const session = this.deps.current.session(name);
    if (!session) return;
    const work = this.tryRefresh(session);
    this.refreshing.add(work);
    await work.finally(() => this.refreshing.delete(work));
    await this.arm();
  }

  private async tryRefresh(session: SessionDef): Promise<void> {
    const { clock, current } = this.deps;
    const name = session.name;
    const before = await this.deps.readToken(name);
    // Woken before the window opens (the wall clock was set back): nothing to do yet; the timer is set again.
    const early = before && before.expiresAt.getTime() - current.settings.refreshWindowMs - clock.now() > 1000;
    if (early && !this.failures.has(name)) return;
    try {
      const token = await current.keeper.refresh(session);
      // Refused, while the token stays valid a while (the keeper said so): no retry, only a sign-in helps; the
      // timer is set again for the token's expiry.
      if (before && token.accessToken === before.accessToken && this.deps.refused.has(token.refreshToken)) return;
      if (before && token.accessToken === before.accessToken) throw new Error('the token was not refreshed');
      this.failures.delete(name);
    } catch (error) {
      this.refreshFailed(name, error, before);
    }
  }

  private refreshFailed(name: string, error: unknown, before: CachedToken | undefined): void {
    const e = error instanceof SsoSyncError ? error : undefined;
    if (e?.code === 'sign-in.required') {
      // Said once per spell; the timer waits for a new token.
      if (this.deps.signedOut.begin(name, tokenFingerprint(before)))
        this.deps.log.error({ event: 'login.required', session: name }, e.message);
      return;
    }
    const failures = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, failures);
    const inSeconds = Math.round(backoffMs(failures) / 1000);
    this.deps.log.warn(
      { event: 'token.refresh_failed', session: name, failures },
      `the token for ${name} was not refreshed (${e?.message ?? errorMessage(error)}); trying again in ${inSeconds} s`,
    );
  }
}
