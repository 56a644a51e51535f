/**
 * A reload of the daemon's settings (the settings file changed, or SIGHUP): valid settings replace the old ones and
 * a sync follows; invalid ones are logged, and the old ones stay.
 */
import type { TokenRefresher } from '../auth/token-keeper.js';
import type { SessionDef } from '../core/types.js';
import { SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/schema.js';
import { logSettingsNotices } from '../settings/settings-notices.js';
import type { Current } from './current.js';

/** What a reload needs. */
export interface ReloadDeps {
  log: Logger;
  current: Current;
  loadSettings(): Promise<Settings>;
  createKeeper(settings: Settings): TokenRefresher;
  sessions(settings: Settings): Promise<SessionDef[]>;
  /** The schedule (or its splay) changed: sync on the new one. */
  reschedule(settings: Settings): void;
  requestSync(reason: string): void;
}

/** Reloads the settings; `why` goes into the log line. */
export async function reloadSettings(deps: ReloadDeps, why: string): Promise<void> {
  const { log, current } = deps;
  try {
    const next = await deps.loadSettings();
    const before = current.settings;
    const scheduleChanged =
      next.schedule !== before.schedule ||
      next.scheduleWritten !== before.scheduleWritten ||
      next.splayMs !== before.splayMs;
    current.settings = next;
    current.keeper = deps.createKeeper(next);
    current.sessions = await deps.sessions(next);
    log.info(
      { event: 'settings.reloaded', reason: why, schedule: next.schedule, sessions: current.names() },
      `settings reloaded (${why})`,
    );
    logSettingsNotices(log, next);
    if (scheduleChanged) deps.reschedule(next);
    deps.requestSync('settings');
  } catch (error) {
    if (error instanceof SsoSyncError && error.code === 'worker.failed') {
      // Not the file's fault: its reading failed.
      log.error(
        { event: 'settings.reload_failed', reason: why },
        `the settings were not read again, the previous ones stay: ${error.message}`,
      );
      return;
    }
    // The loader's advice ends "Fix the file and run again"; the daemon reads the file again when it is saved.
    const message = (error instanceof SsoSyncError ? error.message : String(error)).replace(
      /\nFix (\S+) and run again[^\n]*$/,
      '\nFix $1: the daemon reads it again when it is saved (or on SIGHUP).',
    );
    log.error(
      { event: 'settings.invalid', reason: why },
      `the new settings are not used, the previous ones stay: ${message}`,
    );
  }
}
