/** The settings of a command that must start fast (status, credentials, the completion). */
import { lstat } from 'node:fs/promises';
import { errorCode } from '../errors.js';
import { readRegularFile } from '../fs/read-regular-file.js';
import { settingsPath } from '../paths.js';
import { zeroSettings, type Settings } from '../settings/resolved.js';
import { cachedSessions } from '../settings/sessions-cache.js';
import type { SessionSettings } from '../sync/configured-sessions.js';

/**
 * The settings as loadSettings reads them, with the parser (YAML, the schema, the cron check) loaded only when there
 * is a file to parse: with none at the default place, zero configuration applies, as loadSettings says.
 */
export async function settingsOf(env: NodeJS.ProcessEnv, settingsFile: string | undefined): Promise<Settings> {
  const { file, explicit } = settingsPath(settingsFile, env);
  const absent = await lstat(file).then(
    () => false,
    (error: unknown) => errorCode(error) === 'ENOENT',
  );
  if (absent && !explicit) return zeroSettings();
  const { loadSettings } = await import('../settings/load.js');
  return loadSettings(settingsFile, env);
}

/**
 * The sessions of the settings as loadSettings finds them (and its errors where it fails), taken from the cache of
 * its last full load when the file's text is the one kept there (see settings/sessions-cache.ts); with no file at
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
