/**
 * What a sync runs against at the edge, shared by the commands that sync by hand (commands.ts) and the daemon's
 * sync worker (worker-jobs.ts): the real SDK clients and token keeper, and the record of a run that failed as a whole.
 */
import type { RefusedRefreshes } from '../auth/refused-refreshes.js';
import { createSsoApi } from '../aws/sso-api.js';
import type { Clock } from '../clock/clock.js';
import type { TokenWritten } from '../auth/token-keeper.js';
import { SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { stateDir } from '../paths.js';
import { loadSettings } from '../settings/load.js';
import { zeroSettings } from '../settings/resolved.js';
import { allSessions } from '../sync/configured-sessions.js';
import type { SyncDeps, SyncRequest } from '../sync/run-once.js';
import { recordRunFailure } from '../sync/sync-state.js';
import { keeper } from './edges.js';

/** What every command runs against: the process's environment and the clock. */
export interface Edge {
  env: NodeJS.ProcessEnv;
  clock: Clock;
}

/** runOnce's real dependencies; `onRefreshed` hears of every token the keeper writes. */
export function syncDeps(edge: Edge, log: Logger, onRefreshed?: TokenWritten, refused?: RefusedRefreshes): SyncDeps {
  return {
    env: edge.env,
    clock: edge.clock,
    log,
    createApi: (region, options) => createSsoApi(region, edge.clock, options),
    createKeeper: (refreshWindowMs) => keeper(edge, log, refreshWindowMs, onRefreshed, refused),
    out: (t) => process.stdout.write(t),
  };
}

/** Records a run that failed as a whole (settings, a refused file) against every session it was to sync. */
export async function recordFailure(
  { env, clock }: Edge,
  request: SyncRequest,
  error: unknown,
  log: Logger,
): Promise<void> {
  if (!(error instanceof SsoSyncError)) return;
  const settings = request.settings ?? (await loadSettings(request.settingsFile, env).catch(() => zeroSettings()));
  const sessions =
    request.sessions.length > 0
      ? request.sessions
      : (await allSessions(env, settings).catch(() => [])).map((s) => s.name);
  await recordRunFailure(stateDir(env), sessions, error, new Date(clock.now()), { log, clock }).catch(() => undefined);
}
