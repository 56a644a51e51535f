/** Why the AWS config was not read or not written as asked: the exit-4 errors that the reader and the writer share. */
import { SsoSyncError } from '../errors.js';

/** An exit-4 error about the AWS config. */
export function refused(message: string, cause?: unknown): SsoSyncError {
  return new SsoSyncError('config.refused', message, { cause });
}

/** The file kept changing while sso-sync read it: nothing was, or is, written on a read that might be half a write. */
export function keptChanging(file: string): SsoSyncError {
  return refused(
    `${file} kept changing while sso-sync read it (another program is writing it many times a second); ` +
      'nothing was written. Run again when it is done.',
  );
}

/**
 * sso-sync wrote the file, but another program's change made at that moment could not be merged in; `saved` is
 * where the file with that change was kept, when it could be.
 */
export function writtenWhileChanging(file: string, cause?: unknown, saved?: string): SsoSyncError {
  const where = saved ? ` (the file with it, as sso-sync found it, is saved in ${saved})` : '';
  return refused(
    `${file} kept changing while sso-sync wrote it: the profiles are written, ` +
      `but a change another program made at the same moment may be missing${where}; check the file, then run again.`,
    cause,
  );
}

/**
 * Another program held the file open for writing (it emptied the file and has not finished writing it) past the
 * wait: nothing was written, so what it writes later is not lost. Retried by the daemon.
 */
export function stillBeingWritten(file: string, writers: string, waitedMs: number): SsoSyncError {
  return new SsoSyncError(
    'config.refused',
    `${file} is still open for writing by ${writers} after ${Math.round(waitedMs / 1000)} s of waiting; ` +
      'nothing was written, so what that program writes is kept. Run again when it is done.',
    { retryable: true },
  );
}

/** Out of tries against a program that writes the file many times a second: nothing was written. */
export function gaveUp(file: string, tries: number): SsoSyncError {
  return refused(
    `${file} kept changing while sso-sync tried to write it (${tries} tries); nothing was written. ` +
      'Run again when the other writer is done.',
  );
}
