/** Fetching the assignments of every session a run syncs, each with one token refresh when the service asks for it. */
import type { TokenKeeper } from '../auth/token-keeper.js';
import type { SsoApi } from '../aws/sso-api.js';
import type { SessionFetch } from '../core/plan.js';
import type { SessionDef } from '../core/types.js';
import { SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/schema.js';
import { fetchAssignments, type FetchedAssignments, type KnownRoles } from './fetch-assignments.js';
import { endScan, scheduledRate, startScan, type ScanOptions, type ScanReport } from './role-scan.js';
import type { OnProgress } from './progress.js';
import { logFetched, logSessionFailed, logTokenRejected } from './sync-log.js';

/** What fetching needs of the token keeper. */
export type TokenSource = Pick<TokenKeeper, 'tokenForSync' | 'refresh'>;

/** A session whose assignments could not be fetched, and why. */
export interface SessionFailure {
  session: string;
  error: SsoSyncError;
}

/** What fetching needs from outside. */
export interface FetchDeps {
  log: Logger;
  /** A portal API client for a region, abandoning a call after `requestTimeoutMs`, at most `maxRate` requests/s. */
  createApi: (region: string, options: ApiOptions) => SsoApi;
  keeper: TokenSource;
  /** How roles are scanned and where their cache is; without it, every account's roles are listed, nothing kept. */
  scan?: ScanOptions;
  /** Hears how the fetching goes (the progress line on a terminal). */
  onProgress?: OnProgress | undefined;
}

/** How a sync's portal client is made: its timeout, its pace, and who hears of each request sent again. */
export interface ApiOptions {
  requestTimeoutMs: number;
  maxRate?: number;
  /** A request is sent again: held back after "too many requests" (`throttled`), or after a passing failure. */
  onRetry?: (throttled: boolean) => void;
}

/** What fetching the sessions gave: each session's assignments or failure, and how each scan went. */
export interface FetchedSessions {
  fetched: SessionFetch[];
  failures: SessionFailure[];
  /** By session name, for the sessions fetched. */
  scans: Map<string, ScanReport>;
}

/**
 * One session's assignments. When the service refuses a token that looked valid (a 401), the token is refreshed once
 * and the listing starts over with the new one; a second refusal stands (sign-in required).
 */
export async function fetchWithRetry(
  api: SsoApi,
  keeper: TokenSource,
  session: SessionDef,
  concurrency: number,
  log: Logger,
  known?: KnownRoles,
  onProgress?: OnProgress,
): Promise<FetchedAssignments> {
  const token = await keeper.tokenForSync(session);
  try {
    return await fetchAssignments(api, session, token.accessToken, concurrency, known, onProgress);
  } catch (error) {
    if (!(error instanceof SsoSyncError && error.code === 'sign-in.required')) throw error;
    logTokenRejected(log, session.name);
    const fresh = await keeper.refresh(session, token.accessToken);
    return await fetchAssignments(api, session, fresh.accessToken, concurrency, known, onProgress);
  }
}

/** One session's assignments, its scan started from the role cache where it is incremental, and how it went. */
async function fetchOne(
  deps: FetchDeps,
  session: SessionDef,
  sync: Pick<Settings['sync'], 'concurrency' | 'requestTimeoutMs'>,
): Promise<{ fetch: SessionFetch; scan: ScanReport }> {
  const start = deps.scan ? await startScan(deps.scan, session, deps.log) : undefined;
  // A scheduled scan takes its time; a full one runs as fast as the portal allows.
  const pace = start?.known ? { maxRate: scheduledRate } : {};
  const { onProgress } = deps;
  const onRetry = onProgress && ((throttled: boolean) => onProgress({ kind: throttled ? 'throttled' : 'retried' }));
  const api = deps.createApi(session.region, {
    requestTimeoutMs: sync.requestTimeoutMs,
    ...pace,
    ...(onRetry ? { onRetry } : {}),
  });
  const result = await fetchWithRetry(api, deps.keeper, session, sync.concurrency, deps.log, start?.known, onProgress);
  const stats = api.stats();
  logFetched(deps.log, session.name, result.assignments.length, stats);
  const scan =
    deps.scan && start
      ? await endScan(deps.scan, session, start, result, deps.log, stats.requests)
      : { full: true, requests: stats.requests, rolesListed: result.listed.size };
  return { fetch: { session, assignments: result.assignments, unusable: result.unusable }, scan };
}

/**
 * Fetches the sessions one after the other. A session that fails with an SsoSyncError is logged and reported, and
 * the others go on; any other error ends the run.
 */
export async function fetchSessions(
  deps: FetchDeps,
  sessions: readonly SessionDef[],
  sync: Pick<Settings['sync'], 'concurrency' | 'requestTimeoutMs'>,
): Promise<FetchedSessions> {
  const fetched: SessionFetch[] = [];
  const failures: SessionFailure[] = [];
  const scans = new Map<string, ScanReport>();
  for (const [index, session] of sessions.entries()) {
    deps.onProgress?.({ kind: 'session', session: session.name, index: index + 1, of: sessions.length });
    try {
      const { fetch, scan } = await fetchOne(deps, session, sync);
      fetched.push(fetch);
      scans.set(session.name, scan);
    } catch (error) {
      if (!(error instanceof SsoSyncError)) throw error;
      failures.push({ session: session.name, error });
      logSessionFailed(deps.log, session.name, error);
    }
  }
  return { fetched, failures, scans };
}
