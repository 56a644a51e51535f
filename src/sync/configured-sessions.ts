/** The sessions a full sync covers now, read from the settings and the AWS config as they are. */
import { readConfig } from '../config-file/config-file.js';
import { scanConfig } from '../core/config-text.js';
import type { SessionDef } from '../core/types.js';
import { configPath } from '../paths.js';
import type { Settings } from '../settings/resolved.js';
import { selectSessions, sessionsFromConfig } from './sessions.js';

/** Every session a full sync covers now; none (rather than an error) when nothing is configured yet. */
export async function allSessions(
  env: NodeJS.ProcessEnv,
  settings: Pick<Settings, 'sessions' | 'source'>,
): Promise<SessionDef[]> {
  const scan = scanConfig((await readConfig(configPath(env)).catch(() => ({ text: '' }))).text ?? '');
  try {
    return selectSessions(
      settings.sessions,
      sessionsFromConfig(scan.outside).sessions,
      [],
      settings.source,
      configPath(env),
    ).sessions;
  } catch {
    return [];
  }
}
