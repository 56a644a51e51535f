/**
 * Keeping tokens fresh: a token nearing expiry is refreshed with its refresh token before a sync uses it, well
 * ahead of the AWS CLI's own 15-minute window, so that every tool finds a valid token. One refresh per session
 * at a time; transient failures are retried; when no refresh can succeed, sign-in is required.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { classifyFailure, describeFailure } from '../aws/failure.js';
import { InvalidReplyError, type OidcApi, type TokenGrant } from '../aws/oidc-api.js';
import type { Clock } from '../clock/clock.js';
import type { SessionDef } from '../core/types.js';
import { describeFsError, errorName, fsRemedy, signInHint, SsoSyncError } from '../errors.js';
import { acquireLock } from '../fs/lock-file.js';
import type { RefusedRefreshes } from './refused-refreshes.js';
import { refreshInputs, type RefreshInputs } from './refresh-blocker.js';
import type { Logger } from '../log/logger.js';
import { warnOfTakeover } from '../log/takeover-warning.js';
import {
  checkStartUrl,
  checkUsable,
  expiryMarginMs,
  formatCacheTime,
  looseModeProblem,
  readToken,
  writeToken,
  type CachedToken,
} from '../token/cache.js';

/** A sentence's advice with its first letter in capitals, to follow a full stop. */
const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Told of a token the keeper wrote. */
export type TokenWritten = (session: string, token: CachedToken) => void;

/** What refreshes a session's token: the keeper, or the daemon's worker that runs one. */
export interface TokenRefresher {
  /** Refreshes the session's token; resolves with the token the cache holds after it. */
  refresh(session: SessionDef): Promise<CachedToken>;
}

/** What the keeper needs from outside. */
export interface KeeperDeps {
  home: string;
  clock: Clock;
  log: Logger;
  oidc: (region: string) => OidcApi;
  /** Refresh when less than this remains of the access token's life. */
  refreshWindowMs: number;
  /** Where the per-session refresh locks live, so that sso-sync processes never refresh the same token at once. */
  lockDir: string;
  /** Told of every token this keeper writes (the daemon's cache watcher must not take it for a new sign-in). */
  onRefreshed?: TokenWritten;
  /** Refresh tokens the service refused before: never sent again (the daemon's, shared by its keepers). */
  refused?: RefusedRefreshes;
  /** Attempts for a refresh that fails for a passing reason (network, 5xx, throttling), and the first backoff. */
  attempts?: number;
  baseDelayMs?: number;
}

// Answers that no retry will change: the refresh token or the client registration is no longer good.
const hopeless = new Set([
  'InvalidGrantException',
  'InvalidClientException',
  'UnauthorizedClientException',
  'AccessDeniedException',
  'ExpiredTokenException',
  'InvalidRequestException',
  'InvalidScopeException',
]);

/**
 * The lock of a session's token refresh. Not `refresh-<session>.lock`: that is the directory an earlier
 * sso-sync's lock made, and one left by a crash must not stand in this lock's way.
 */
export function refreshLockPath(lockDir: string, session: string): string {
  return path.join(lockDir, `token-${session}.lock`);
}

/**
 * After this long a refresh lock is taken over whatever its pid, then taken to be reused by another process (a
 * lock whose holder died is taken over at once). It must outlast the longest live refresh, which holds the lock
 * through its retries: 4 attempts of at most 35 s each (oidc-api.ts: 5 s to connect, 30 s for the answer), 7 s of
 * backoff between them, and a moment to write the cache, under 2.5 minutes. So no timer has to keep a live
 * holder's lock fresh (one would keep a finished `--once` alive until it fired).
 */
const refreshLockStaleMs = 10 * 60_000;

function signInRequired(session: string, state: string, why: string): SsoSyncError {
  return new SsoSyncError(
    'sign-in.required',
    `the token for sso-session ${session} ${state} and cannot be refreshed: ${why}; ${signInHint(session)}`,
  );
}

/** Keeps the tokens of every session fresh; one per process. */
export class TokenKeeper {
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  /** Cache files whose loose permissions were reported: once each is enough. */
  private readonly exposedReported = new Set<string>();

  constructor(private readonly deps: KeeperDeps) {}

  /** A token a sync can use now: refreshed first when it is inside the refresh window. */
  async tokenForSync(session: SessionDef): Promise<CachedToken> {
    // A token of another portal is refused before anything is done with it, a refresh included.
    const token = checkStartUrl(await readToken(this.deps.home, session.name), session);
    this.reportExposed(session, token);
    const now = this.deps.clock.now();
    if (token.expiresAt.getTime() - now > this.deps.refreshWindowMs) return checkUsable(token, session, new Date(now));
    return checkUsable(await this.refresh(session), session, new Date(this.deps.clock.now()));
  }

  /** Warns, once per file, about a cache file that other users can read or write. */
  private reportExposed(session: SessionDef, token: CachedToken): void {
    const problem = looseModeProblem(token);
    if (problem === undefined || this.exposedReported.has(token.file)) return;
    this.exposedReported.add(token.file);
    const mode = token.mode?.toString(8).padStart(4, '0');
    this.deps.log.warn({ event: 'token.file_exposed', session: session.name, file: token.file, mode }, problem);
  }

  /**
   * Refreshes the session's token. With `rejected`, the service refused that access token (a 401), so it is not
   * used again even if it has time left. Concurrent callers share one refresh.
   */
  refresh(session: SessionDef, rejected?: string): Promise<CachedToken> {
    const running = this.inFlight.get(session.name);
    if (running) return running;
    const refreshing = this.locked(session, () => this.refreshNow(session, rejected)).finally(() =>
      this.inFlight.delete(session.name),
    );
    this.inFlight.set(session.name, refreshing);
    return refreshing;
  }

  /** Writes a refreshed token, unless a sign-in replaced the cached one meanwhile (then that one is kept). */
  private async store(session: SessionDef, current: CachedToken, grant: TokenGrant): Promise<CachedToken> {
    const { home, log } = this.deps;
    // The cache file's path goes along unwritten: serializeToken writes only the token's fields.
    const next: CachedToken = {
      ...current,
      accessToken: grant.accessToken,
      expiresAt: new Date(this.deps.clock.now() + grant.expiresInSeconds * 1000),
      // The service may rotate the refresh token; when it returns none, the old one is not kept either.
      refreshToken: grant.refreshToken,
    };
    const onDisk = await readToken(home, session.name).catch(() => undefined);
    if (onDisk && onDisk.accessToken !== current.accessToken) return onDisk;
    let file: string;
    try {
      file = await writeToken(home, session.name, next);
    } catch (error) {
      throw new SsoSyncError(
        'sign-in.required',
        `the token for sso-session ${session.name} was refreshed but could not be written to ${current.file}: ` +
          `${describeFsError(error)}; ${fsRemedy(error)}, then ${signInHint(session.name)}`,
        { cause: error },
      );
    }
    this.deps.onRefreshed?.(session.name, { ...next, file });
    log.info(
      {
        event: 'token.refreshed',
        session: session.name,
        expiresAt: formatCacheTime(next.expiresAt),
        rotated: grant.refreshToken !== undefined && grant.refreshToken !== current.refreshToken,
      },
      `refreshed the token for sso-session ${session.name}; valid until ${formatCacheTime(next.expiresAt)}`,
    );
    return { ...next, file };
  }

  /**
   * Runs a refresh under the session's lock. Refresh tokens rotate: two processes refreshing with the same one
   * would have the second refused, so the second waits, then finds the first one's token in the cache.
   */
  private async locked<T>(session: SessionDef, work: () => Promise<T>): Promise<T> {
    const { clock, log, lockDir } = this.deps;
    await mkdir(lockDir, { recursive: true, mode: 0o700 });
    let release: () => Promise<void>;
    try {
      release = await acquireLock(refreshLockPath(lockDir, session.name), {
        // Waits of 50 ms doubling up to 500 ms: about 30 s in all, then this sync gives up for now.
        attempts: 60,
        minDelayMs: 50,
        maxDelayMs: 500,
        staleMs: refreshLockStaleMs,
        clock,
        onTakeover: warnOfTakeover(log),
      });
    } catch (error) {
      throw new SsoSyncError(
        'aws.failed',
        `another sso-sync kept the token refresh of sso-session ${session.name} locked; run again in a moment.`,
        { retryable: true, cause: error },
      );
    }
    try {
      return await work();
    } finally {
      await release();
    }
  }

  private async refreshNow(session: SessionDef, rejected: string | undefined): Promise<CachedToken> {
    const { clock, log, home } = this.deps;
    // Read again: another sso-sync or the AWS CLI may have refreshed or signed in meanwhile.
    const current = await readToken(home, session.name);
    const now = new Date(clock.now());
    const left = current.expiresAt.getTime() - now.getTime();
    if (rejected !== undefined && current.accessToken !== rejected) return current;
    if (rejected === undefined && left > this.deps.refreshWindowMs) return current;
    const stillUsable = rejected === undefined && left >= expiryMarginMs;
    const state =
      rejected !== undefined ? 'was refused by the service' : `expired at ${formatCacheTime(current.expiresAt)}`;

    const inputs = refreshInputs(current, now, this.deps.refused);
    if ('blocker' in inputs) {
      if (stillUsable) {
        log.debug(
          { event: 'token.unrefreshable', session: session.name },
          `the token for ${session.name} ${inputs.blocker}; it stays valid until ${formatCacheTime(current.expiresAt)}`,
        );
        return current;
      }
      throw signInRequired(session.name, state, `${current.file} ${inputs.blocker}`);
    }

    const api = this.deps.oidc(current.region ?? session.region);
    const { grant, failure } = await this.askForToken(api, session, inputs);
    // Only the call is retried: once the service answered, its refresh token may be rotated, and asking again
    // with the old one would be refused.
    if (grant !== undefined) return this.store(session, current, grant);
    if (failure instanceof InvalidReplyError) return this.afterInvalidReply(session, current, failure, stillUsable);

    // The AWS CLI (which does not take sso-sync's lock) may have refreshed with the same, now rotated, refresh
    // token a moment earlier: give it a moment to write, and its token is as good as ours would have been.
    const refused = hopeless.has(errorName(failure) ?? '');
    if (refused) {
      this.deps.refused?.add(inputs.refreshToken);
      await clock.sleep(500);
    }
    const meanwhile = await readToken(home, session.name).catch(() => undefined);
    if (
      meanwhile &&
      meanwhile.accessToken !== current.accessToken &&
      meanwhile.expiresAt.getTime() - clock.now() >= expiryMarginMs
    )
      return meanwhile;
    const why = describeFailure(failure);
    if (stillUsable) {
      log.warn(
        { event: 'token.refresh_failed', session: session.name, error: why },
        `could not refresh the token for ${session.name} (${why}); ` +
          `the current one stays valid until ${formatCacheTime(current.expiresAt)}`,
      );
      return current;
    }
    if (refused) throw signInRequired(session.name, state, `the service refused the refresh (${why})`);
    const { summary, advice } = classifyFailure(failure, 'IAM Identity Center', api.endpoint());
    throw new SsoSyncError(
      'aws.failed',
      `refreshing the token for sso-session ${session.name} failed: ${summary}. ${capitalized(advice)}.`,
      { retryable: true, cause: failure },
    );
  }

  /** The refresh call, tried again after a passing failure; the grant, or the last failure. */
  private async askForToken(
    api: OidcApi,
    session: SessionDef,
    inputs: RefreshInputs,
  ): Promise<{ grant?: TokenGrant; failure?: unknown }> {
    const { clock, log } = this.deps;
    const attempts = this.deps.attempts ?? 4;
    let failure: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const grant = await api.createToken(inputs.registration, {
          grantType: 'refresh_token',
          refreshToken: inputs.refreshToken,
        });
        return { grant };
      } catch (error) {
        failure = error;
        // An answer that cannot be used is not asked for again: its refresh token may already be rotated.
        if (error instanceof InvalidReplyError || hopeless.has(errorName(error) ?? '')) break;
        log.warn(
          { event: 'token.refresh_retry', session: session.name, attempt, error: describeFailure(error) },
          `refreshing the token for ${session.name} failed (${describeFailure(error)}); ` +
            `attempt ${attempt} of ${attempts}`,
        );
        if (attempt < attempts) await clock.sleep((this.deps.baseDelayMs ?? 1_000) * 2 ** (attempt - 1));
      }
    }
    return { failure };
  }

  /**
   * A refresh answered with something that cannot be used: the cached token is never traded for it. A rotated
   * refresh token the answer carried is kept (the old one may be spent), with the current access token.
   */
  private async afterInvalidReply(
    session: SessionDef,
    current: CachedToken,
    failure: InvalidReplyError,
    stillUsable: boolean,
  ): Promise<CachedToken> {
    const { home, log } = this.deps;
    let kept = current;
    const rotated = failure.rotatedRefreshToken;
    if (rotated !== undefined && rotated !== current.refreshToken) {
      const onDisk = await readToken(home, session.name).catch(() => undefined);
      if (onDisk?.accessToken === current.accessToken) {
        kept = { ...current, refreshToken: rotated };
        await writeToken(home, session.name, kept).catch(() => undefined);
      }
    }
    const endpoint = this.deps.oidc(current.region ?? session.region).endpoint();
    const advice = classifyFailure(failure, 'IAM Identity Center', endpoint).advice;
    if (stillUsable) {
      log.warn(
        { event: 'token.refresh_failed', session: session.name, error: failure.message },
        `could not refresh the token for ${session.name}: ${failure.message}; the current one stays valid until ` +
          `${formatCacheTime(current.expiresAt)} (${advice})`,
      );
      return kept;
    }
    throw new SsoSyncError(
      'aws.failed',
      `refreshing the token for sso-session ${session.name} failed: ${failure.message}. ${capitalized(advice)}.`,
      { retryable: true, cause: failure },
    );
  }
}
