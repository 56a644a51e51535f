/** The settings of a command that must start fast (status, credentials). */
import { lstat } from 'node:fs/promises';
import { errorCode } from '../errors.js';
import { settingsPath } from '../paths.js';
import { zeroSettings, type Settings } from '../settings/resolved.js';

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
