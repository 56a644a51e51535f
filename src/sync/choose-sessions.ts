/** Which sso-sessions a run syncs, with a warning for each one the config names but that cannot be used as it is. */
import type { SectionRef } from '../core/config-text.js';
import type { SessionDef } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/schema.js';
import { selectSessions, sessionsFromConfig } from './sessions.js';
import { warnConflicts, warnUnusableSessions } from './sync-log.js';

/** The sessions to sync now, and the names of every configured session (their blocks are not orphans). */
export interface ChosenSessions {
  sessions: SessionDef[];
  configured: string[];
}

/**
 * Chooses the sessions of a run from the settings and the config's sections outside the blocks (`outside`), limited
 * to `only` when it names any. Logs a warning for each unusable section and each session the two sources define
 * differently; throws a usage error when there is nothing to sync or `only` names an unknown session.
 */
export function chooseSessions(
  log: Logger,
  settings: Pick<Settings, 'sessions' | 'source'>,
  outside: readonly SectionRef[],
  only: readonly string[],
  file: string,
): ChosenSessions {
  const fromConfig = sessionsFromConfig(outside);
  warnUnusableSessions(log, file, fromConfig.problems);
  const { sessions, conflicts } = selectSessions(settings.sessions, fromConfig.sessions, only, settings.source, file);
  warnConflicts(log, file, settings.source, conflicts);
  const configured = [...settings.sessions.map((s) => s.name), ...fromConfig.sessions.map((s) => s.name)];
  return { sessions, configured };
}
