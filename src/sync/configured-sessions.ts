/** The sessions a full sync covers now, read from the settings and the AWS config as they are. */
import { readConfig } from '../config-file/config-file.js';
import { scanConfig, type SectionRef } from '../core/config-text.js';
import type { SessionDef } from '../core/types.js';
import { configPath } from '../paths.js';
import type { Settings } from '../settings/resolved.js';
import { selectSessions, sessionsFromConfig } from './sessions.js';

/** What of the settings the choice of sessions needs: their sessions, and their file for the message. */
export type SessionSettings = Pick<Settings, 'sessions' | 'source'>;

/**
 * The sessions of the settings and of the config's sections outside the blocks (`outside`, from `configFile`);
 * none (rather than an error) when nothing is configured yet.
 */
export function sessionsIn(
  outside: readonly SectionRef[],
  settings: SessionSettings,
  configFile: string,
): SessionDef[] {
  try {
    return selectSessions(settings.sessions, sessionsFromConfig(outside).sessions, [], settings.source, configFile)
      .sessions;
  } catch {
    return [];
  }
}

/** Every session a full sync covers now; none (rather than an error) when nothing is configured yet. */
export async function allSessions(env: NodeJS.ProcessEnv, settings: SessionSettings): Promise<SessionDef[]> {
  const scan = scanConfig((await readConfig(configPath(env)).catch(() => ({ text: '' }))).text ?? '');
  return sessionsIn(scan.outside, settings, configPath(env));
}
