/** Fetching the assignments of every session a run syncs, each with one token refresh when the service asks for it. */
import type { TokenKeeper } from '../auth/token-keeper.js';
import type { SsoApi } from '../aws/sso-api.js';
import type { SessionFetch } from '../core/plan.js';
import type { SessionDef } from '../core/types.js';
import { SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/schema.js';
import { fetchAssignments, type FetchedAssignments } from './fetch-assignments.js';
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
  /** A portal API client for a region, abandoning a call after `requestTimeoutMs`. */
  createApi: (region: string, options: { requestTimeoutMs: number }) => SsoApi;
  keeper: TokenSource;
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
): Promise<FetchedAssignments> {
  const token = await keeper.tokenForSync(session);
  try {
    return await fetchAssignments(api, session, token.accessToken, concurrency);
  } catch (error) {
    if (!(error instanceof SsoSyncError && error.code === 'sign-in.required')) throw error;
    logTokenRejected(log, session.name);
    const fresh = await keeper.refresh(session, token.accessToken);
    return await fetchAssignments(api, session, fresh.accessToken, concurrency);
  }
}

/**
 * Fetches the sessions one after the other. A session that fails with an SsoSyncError is logged and reported, and
 * the others go on; any other error ends the run.
 */
export async function fetchSessions(
  deps: FetchDeps,
  sessions: readonly SessionDef[],
  sync: Pick<Settings['sync'], 'concurrency' | 'requestTimeoutMs'>,
): Promise<{ fetched: SessionFetch[]; failures: SessionFailure[] }> {
  const fetched: SessionFetch[] = [];
  const failures: SessionFailure[] = [];
  for (const session of sessions) {
    try {
      const api = deps.createApi(session.region, { requestTimeoutMs: sync.requestTimeoutMs });
      const { assignments, unusable } = await fetchWithRetry(api, deps.keeper, session, sync.concurrency, deps.log);
      logFetched(deps.log, session.name, assignments.length, api.stats());
      fetched.push({ session, assignments, unusable });
    } catch (error) {
      if (!(error instanceof SsoSyncError)) throw error;
      failures.push({ session: session.name, error });
      logSessionFailed(deps.log, session.name, error);
    }
  }
  return { fetched, failures };
}
