/**
 * Finding and reading the settings file. A text the settings cache holds (the one its last full load checked) is
 * taken from there, with none of the code that checks it; any other is checked fully (check-settings.ts), and kept.
 */
import { errorCode, errorMessage, SsoSyncError } from '../errors.js';
import { NotAFileError, readRegularFile } from '../fs/read-regular-file.js';
import { resolveSettings, zeroSettings, type Settings } from './resolved.js';
import { settingsPath } from '../paths.js';
import { cachedSettings, keepSettings } from './settings-cache.js';

/** Why a settings file could not be read, in words. */
function whyUnreadable(error: unknown): string {
  if (error instanceof NotAFileError) return `it is ${error.kind}, not a file`;
  switch (errorCode(error)) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
      return 'permission denied';
    default:
      return errorCode(error) ?? errorMessage(error);
  }
}

/**
 * Loads the settings; with no file at the default place, zero configuration applies. What the full load of a file
 * that passes finds is kept for the next command (see settings-cache.ts).
 */
export async function loadSettings(explicit: string | undefined, env: NodeJS.ProcessEnv): Promise<Settings> {
  const { file, explicit: named } = settingsPath(explicit, env);
  let text: string;
  try {
    text = (await readRegularFile(file)).text;
  } catch (error) {
    if (errorCode(error) === 'ENOENT' && !named) return zeroSettings();
    const why = whyUnreadable(error);
    throw new SsoSyncError(
      'settings.invalid',
      `cannot read the settings file ${file}: ${why}. Check the path given by --settings or SSO_SYNC_SETTINGS.`,
    );
  }
  const kept = await cachedSettings(env, file, text);
  if (kept) {
    // A cache of a shape this code does not expect (a build of the same version with another schema) is read again.
    try {
      return resolveSettings(kept, file);
    } catch {
      // A full load below.
    }
  }
  const { checkSettings } = await import('./check-settings.js');
  const checked = checkSettings(text, file);
  const settings = resolveSettings(checked, file);
  await keepSettings(env, file, text, checked, settings.sessions);
  return settings;
}
