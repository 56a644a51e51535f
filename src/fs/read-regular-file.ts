/**
 * Reading a small file that must be a regular file (the settings, a token cache file). It is opened without blocking
 * and checked before a byte is read: a named pipe in its place would otherwise hang the read for ever.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** The path names something other than a regular file; `kind` says what, for a message. */
export class NotAFileError extends Error {
  constructor(
    readonly file: string,
    readonly kind: string,
  ) {
    super(`${file} is ${kind}, not a file`);
    this.name = 'NotAFileError';
  }
}

/** What a thing that is not a regular file is, for a message. */
export function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** A regular file's text (UTF-8) and permission bits; rejects with NotAFileError, or the file system's error. */
export async function readRegularFile(file: string): Promise<{ text: string; mode: number }> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new NotAFileError(file, kindOf(info));
    return { text: await handle.readFile('utf8'), mode: info.mode & 0o777 };
  } finally {
    await handle.close();
  }
}
