/**
 * The AWS config as sso-sync finds it: read as bytes, through symbolic links, once it holds still. The atomic write
 * is in write-config.ts and re-exported here, so that this module is the config file's one entry point.
 */
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../clock/clock.js';
import { describeFsError, errorCode, SsoSyncError } from '../errors.js';
import { keptChanging, refused, stillBeingWritten } from './refusals.js';
import { describeWriters, type FindWriters, type OpenWriter } from '../fs/open-writers.js';
import { beingWrittenCheck, readPath, settled, trustedAtOnce, writerLook } from './settle.js';

export { readingOf, settled, type Reading, type StatTimes } from './settle.js';
export { removeLeftovers, writeConfig, type Rewrite, type WriteOptions, type WriteResult } from './write-config.js';

/** The file as found: its bytes (as a latin1 string) or undefined when it does not exist, and where it really is. */
export interface ConfigSnapshot {
  /** The path given. */
  path: string;
  /** The path written: the symlink's target when `path` is a symlink. */
  realPath: string;
  text: string | undefined;
}

/** What a file that is not a regular file is, in words. */
function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

// The byte-order mark says the whole file is UTF-16, which the AWS CLI cannot parse; appending UTF-8 to it helps
// nobody.
const notUtf8 = (file: string, encoding: string, why: string) =>
  `${file} is ${encoding} text (${why}); the AWS CLI reads only UTF-8. ` +
  `Convert it, e.g. iconv -f ${encoding} -t UTF-8, then run again.`;

/**
 * The UTF-16 encoding of a text without a byte-order mark, told by its zero bytes: UTF-16 text of the characters a
 * config holds has a zero in every other byte, and UTF-8 text never has one. Looks at the first 4 KiB.
 */
export function utf16WithoutMark(text: string): 'UTF-16LE' | 'UTF-16BE' | undefined {
  const head = text.slice(0, 4096);
  if (head.length < 2 || !head.includes('\0')) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < head.length; i++) {
    if (head.charCodeAt(i) !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  const pairs = Math.floor(head.length / 2);
  if (odd >= pairs * 0.5 && even === 0) return 'UTF-16LE';
  if (even >= pairs * 0.5 && odd === 0) return 'UTF-16BE';
  return undefined;
}

/** Resolves where writes go; a dangling symlink or a directory is refused, not replaced. */
async function resolveTarget(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  const link = await lstat(file).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    const target = await readlink(file);
    throw refused(
      `${file} is a symbolic link to ${target}, which does not exist. ` +
        'Create the target or remove the link, then run again.',
    );
  }
  // The file does not exist: write it where it is named, below the real path of its closest existing parent.
  return realOrNominal(file);
}

/** The real path of `p`, or of its closest existing parent with the rest of `p` appended: nothing need exist. */
export async function realOrNominal(p: string): Promise<string> {
  const rest: string[] = [];
  let dir = p;
  for (;;) {
    try {
      return path.join(await realpath(dir), ...rest);
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return p;
      rest.unshift(path.basename(dir));
      dir = up;
    }
  }
}

/**
 * The directory where writes of the AWS config land: beside its real path, a symbolic link's target even when that
 * target does not exist yet (the service's sandbox must allow writes there before the first sync).
 */
export async function realConfigDir(configFile: string): Promise<string> {
  try {
    return path.dirname(await realpath(configFile));
  } catch {
    // missing, or a dangling link: resolved below
  }
  const link = await lstat(configFile).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(configFile), await readlink(configFile));
    return realOrNominal(path.dirname(target));
  }
  return realOrNominal(path.dirname(configFile));
}

/** Options for readConfig. */
export interface ReadOptions {
  /**
   * Every wait and every "now" of the read (default: the system clock). Its "now" is compared with the file's own
   * times, so it must run on the wall clock's time base.
   */
  clock?: Clock;
  /** Finds the processes that have the file open for writing (default: from /proc, on Linux; null: not seen). */
  findWriters?: FindWriters | null;
}

/** Where writes of `file` go (see resolveTarget), or an exit-4 error saying why it cannot be found. */
async function targetOf(file: string): Promise<string> {
  try {
    return await resolveTarget(file);
  } catch (error) {
    if (error instanceof SsoSyncError) throw error;
    const code = errorCode(error);
    if (code === 'ELOOP')
      throw refused(
        `${file} is a symbolic link in a loop of links. ` +
          'Remove the link or point it at a real file (or set AWS_CONFIG_FILE to one), then run again.',
        error,
      );
    if (code === 'ENOTDIR')
      throw refused(
        `${file} cannot exist: a part of its path is a file, not a directory. ` +
          'Move that file away (or set AWS_CONFIG_FILE to another path), then run again.',
        error,
      );
    throw refused(`cannot find where ${file} is: ${describeFsError(error)}.`, error);
  }
}

/** Reads the AWS config as bytes; a file that exists but cannot be read is refused (exit 4). */
export async function readConfig(file: string, options: ReadOptions = {}): Promise<ConfigSnapshot> {
  const clock = options.clock ?? systemClock;
  const realPath = await targetOf(file);
  try {
    const info = await stat(realPath);
    if (info.isDirectory()) throw refused(`${file} is a directory, not a file. Move it away, then run again.`);
    // A pipe would block the read for ever; a device would be replaced by a regular file at the first write.
    if (!info.isFile())
      throw refused(
        `${file} is not a regular file (${kindOf(info)}); sso-sync only edits regular files. ` +
          'Point AWS_CONFIG_FILE at a file, then run again.',
      );
    const read = () => readPath(realPath, clock);
    const reading = await read();
    // Written a moment ago: perhaps by a program that truncated the file and has not yet written all of it again.
    const writing = beingWrittenCheck(realPath, options.findWriters);
    const text = (await trustedAtOnce(reading, clock, writing))
      ? reading.text
      : await settled(file, read, reading, clock, writing);
    // The text is a byte string (latin1): one character per byte.
    if (text?.startsWith('\xff\xfe'))
      throw refused(notUtf8(file, 'UTF-16LE', 'it starts with a UTF-16 byte-order mark'));
    if (text?.startsWith('\xfe\xff'))
      throw refused(notUtf8(file, 'UTF-16BE', 'it starts with a UTF-16 byte-order mark'));
    const unmarked = text === undefined ? undefined : utf16WithoutMark(text);
    if (unmarked) throw refused(notUtf8(file, unmarked, 'every other byte of it is zero'));
    return { path: file, realPath, text };
  } catch (error) {
    if (error instanceof SsoSyncError) throw error;
    if (errorCode(error) === 'ENOENT') return { path: file, realPath, text: undefined };
    throw refused(`cannot read ${file}: ${describeFsError(error)}. Fix its permissions, then run again.`, error);
  }
}

/** How many times, and how far apart, readStill reads the file again: 2 s at most, as long as a read settles. */
const stillTries = 20;
const stillPauseMs = 100;

/**
 * The AWS config read again until two reads in a row agree with no program holding the file open for writing
 * between them (where that can be seen), for a first reading that may be half of another program's write (it
 * shows damaged markers, say): a writer caught mid-write and held up for a moment leaves the same half for both
 * reads, but it still holds the file. Refused (exit 4, nothing written) when that does not happen within 2 s: as
 * kept changing, or as still open for writing when the reads agreed but a program held the file.
 */
export async function readStill(first: ConfigSnapshot, options: ReadOptions = {}): Promise<ConfigSnapshot> {
  const clock = options.clock ?? systemClock;
  const find = writerLook(options.findWriters);
  const started = clock.now();
  let last = first;
  let holding: OpenWriter[] = [];
  for (let tries = 0; tries < stillTries; tries++) {
    await clock.sleep(stillPauseMs);
    // Looked for between the two reads: a writer that finished after the first read has changed the file by the
    // second.
    const writers = find ? await find(first.realPath) : [];
    const again = await readConfig(first.path, options);
    if (again.text === last.text && writers.length === 0) return again;
    holding = again.text === last.text ? writers : [];
    last = again;
  }
  if (holding.length > 0) throw stillBeingWritten(first.path, describeWriters(holding), clock.now() - started);
  throw keptChanging(first.path);
}
