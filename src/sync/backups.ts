/** Copies of the AWS config saved in the state directory's backups before sso-sync replaces what it cannot merge. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock/clock.js';
import { describeFsError, fsRemedy, SsoSyncError } from '../errors.js';
import { fsyncDir, newFile } from '../fs/replace-file.js';
import { randomHex } from '../fs/unique-name.js';
import { backupsDir, stateDir } from '../paths.js';

/** Saves a copy of the config's text in the state directory's backups, durably; resolves with its path. */
export async function saveCopy(env: NodeJS.ProcessEnv, clock: Clock, text: string): Promise<string> {
  const dir = backupsDir(stateDir(env));
  const stamp = new Date(clock.now()).toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `config-${stamp}-${randomHex(3)}.bak`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await newFile(file, Buffer.from(text, 'latin1'), 0o600);
  await fsyncDir(dir);
  return file;
}

/**
 * Saves the config with a hand edit inside a block before the edit is replaced; resolves with the copy's path.
 * When no copy can be saved, the write is refused (exit 4) and the file is left as it is.
 */
export async function backupHandEdit(
  env: NodeJS.ProcessEnv,
  clock: Clock,
  text: string,
  configFile: string,
): Promise<string> {
  try {
    // Durable before the config is replaced: it may be the only copy of the hand edit.
    return await saveCopy(env, clock, text);
  } catch (error) {
    // No backup, no replacement of the hand edit: the file is left as it is (newFile leaves no partial backup).
    throw new SsoSyncError(
      'config.refused',
      `the sso-sync block in ${configFile} was edited by hand, ` +
        `and the backup of the file could not be saved in ${backupsDir(stateDir(env))}: ${describeFsError(error)}. ` +
        `Nothing was written; ${fsRemedy(error)}, then run again.`,
      { cause: error },
    );
  }
}
