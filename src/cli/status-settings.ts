/**
 * The settings as `status` and the completion read them: only their sessions, from the cache of the last full
 * load while the settings file's text is the one kept there, so that they load neither YAML nor zod.
 */
import { errorCode } from '../errors.js';
import { readRegularFile } from '../fs/read-regular-file.js';
import { settingsPath } from '../paths.js';
import { cachedSessions } from '../settings/settings-cache.js';
import type { SessionSettings } from '../sync/configured-sessions.js';

/**
 * The sessions of the settings as loadSettings finds them (and its errors where it fails), taken from the cache of
 * its last full load when the file's text is the one kept there (see settings/settings-cache.ts); with no file at
 * the default place, none.
 */
export async function settingsSessions(
  env: NodeJS.ProcessEnv,
  settingsFile: string | undefined,
): Promise<SessionSettings> {
  const { file, explicit } = settingsPath(settingsFile, env);
  const text = await readRegularFile(file).then(
    (read) => read.text,
    (error: unknown) => (errorCode(error) === 'ENOENT' && !explicit ? null : undefined),
  );
  if (text === null) return { sessions: [], source: undefined };
  const cached = text === undefined ? undefined : await cachedSessions(env, file, text);
  if (cached) return { sessions: cached, source: file };
  // Anything else, a file that cannot be read included, is for the full load to read and, where it fails, to word.
  const { loadSettings } = await import('../settings/load.js');
  const { sessions, source } = await loadSettings(settingsFile, env);
  return { sessions, source };
}
