/**
 * The settings' notices in the log, for the daemon and a sync alike: apart from the sync's other lines
 * (sync-log.ts), since the daemon's own process logs them and loads nothing of a sync.
 */
import type { Logger } from '../log/logger.js';
import type { Settings } from './schema.js';

/** What in the settings may be a mistake but is used as given (a region sso-sync does not know). */
export function logSettingsNotices(log: Logger, settings: Pick<Settings, 'notices' | 'source'>): void {
  for (const notice of settings.notices)
    log.warn({ event: 'settings.notice', file: settings.source }, `${settings.source ?? 'settings'}: ${notice}`);
}
