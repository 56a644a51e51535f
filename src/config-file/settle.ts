/**
 * When a read of the AWS config can be trusted as whole: a program that writes in place truncates the file first and
 * writes it after, perhaps in parts, and a read in between must never be merged on.
 */
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { systemClock, type Clock } from '../clock/clock.js';
import { errorCode } from '../errors.js';
import { openWriters, writersVisible, type FindWriters } from '../fs/open-writers.js';
import { keptChanging } from './refusals.js';

/** A file's content as read, and when it last changed (undefined: it does not exist). Exported for tests. */
export interface Reading {
  text: string | undefined;
  changedMs: number | undefined;
  /**
   * The file's size and times just after the read, when they describe exactly the text read (undefined otherwise):
   * a later stat that differs says the file changed since.
   */
  stamp?: string | undefined;
}

/** The parts of a stat a reading is judged on. */
export type StatTimes = Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs'>;

/** How long a file must have been left alone before its content is trusted as whole. */
const quietMs = 100;
/** How long an empty file must stay empty, by sso-sync's own clock: `generator > ~/.aws/config` empties it first. */
const emptyQuietMs = 1_000;
const settlePollMs = 10;
const settleBudgetMs = 2_000;

/**
 * Whether a reading's times say the file has been left alone long enough at `nowMs`. An empty file is never trusted
 * on its times: see readHandle.
 */
const quiet = (r: Reading, nowMs: number) =>
  r.changedMs === undefined || (r.text !== '' && nowMs - r.changedMs >= quietMs);

/**
 * Whether a reading may be half of another program's write: a program has the file open for writing now (on Linux,
 * from /proc), or the file is no longer as the reading found it; undefined where writers cannot be seen. A file that
 * changed a moment ago but that no program holds is whole: an in-place writer holds the file from the truncation to
 * its last byte, and a writer that renames never holds the file on the path at all. But the look comes after the
 * read, and a writer caught mid-write by the read may finish and close before the look (seen under load: a read of
 * half the file, trusted, then refused as damaged markers); its last bytes change the file's size, so a file that
 * still has the reading's size and times was not being written during the read.
 */
export type WritersCheck = ((reading: Reading) => Promise<boolean>) | undefined;

/** A file's size and times as one comparable value. */
const stampOf = (info: StatTimes) => `${info.size}:${info.mtimeMs}:${info.ctimeMs}`;

/**
 * The look for programs that hold a file open for writing: the one given, or the system's (`openWriters`); none
 * where writers cannot be seen (elsewhere than Linux, or `null` given).
 */
export function writerLook(find: FindWriters | null = openWriters): FindWriters | undefined {
  return find === null || (find === openWriters && !writersVisible) ? undefined : find;
}

/**
 * Whether a reading of the file at `realPath` may be half a write (see WritersCheck); undefined where writers cannot
 * be seen (elsewhere than Linux, or `null` given: the times alone then decide).
 */
export function beingWrittenCheck(realPath: string, given?: FindWriters | null): WritersCheck {
  const find = writerLook(given);
  if (find === undefined) return undefined;
  return async (reading) => {
    if ((await find(realPath)).length > 0) return true;
    // Looked at after the writers: a writer that let go before that look has changed the file by then.
    const now = await stat(realPath).catch(() => undefined);
    return reading.stamp === undefined || now === undefined || stampOf(now) !== reading.stamp;
  };
}

/** Whether a reading can be trusted: left alone long enough, or (not empty) not being written (see WritersCheck). */
async function trusted(r: Reading, nowMs: number, beingWritten: WritersCheck): Promise<boolean> {
  if (quiet(r, nowMs)) return true;
  return r.text !== undefined && r.text !== '' && beingWritten !== undefined && !(await beingWritten(r));
}

/** Whether a first reading can be trusted without reading again. */
export const trustedAtOnce = (r: Reading, clock: Clock, beingWritten?: WritersCheck): Promise<boolean> =>
  trusted(r, clock.now(), beingWritten);

/** The whole content of an open file, read from its start whatever the handle's position. */
export async function readHeld(handle: FileHandle): Promise<string> {
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(Math.max(64 * 1024, (await handle.stat()).size - position + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    // One chunk (the usual case) is decoded as it is: a copy of a large file would double what the read holds.
    if (bytesRead === 0) return (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('latin1');
    chunks.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

/**
 * Whether an open file holds exactly `text` (a byte string), read from its start a piece at a time: telling that a
 * large file is unchanged does not need a second copy of it. Each piece is compared as bytes, the text's piece
 * written into a second buffer (one byte a character, as latin1 reads them back): no string is made of the file.
 */
export async function holds(handle: FileHandle, text: string): Promise<boolean> {
  const piece = 256 * 1024;
  const read = Buffer.allocUnsafe(piece);
  const expected = Buffer.allocUnsafe(piece);
  let position = 0;
  for (;;) {
    const { bytesRead } = await handle.read(read, 0, piece, position);
    if (bytesRead === 0) return position === text.length;
    if (position + bytesRead > text.length) return false;
    expected.write(text.slice(position, position + bytesRead), 0, bytesRead, 'latin1');
    if (read.compare(expected, 0, bytesRead, 0, bytesRead) !== 0) return false;
    position += bytesRead;
  }
}

/**
 * Reads an open file whole, with the later of its mtime and ctime before and after (a change during the read shows).
 * Times alone miss one change: on ext4 a file truncated by open(…, 'w') is empty for a moment while still showing
 * its old times (measured here: up to about a millisecond, often enough that one read in a few thousand sees it).
 * So a size that moved during the read counts as a change now, and an empty file must be seen empty for a second.
 * A file rewritten between two of the read's pieces moves too: the text then is not the size that either stat saw.
 */
export async function readHandle(handle: FileHandle, clock: Clock): Promise<Reading> {
  const before = await handle.stat();
  const text = await readHeld(handle);
  return readingOf(text, before, await handle.stat(), clock);
}

/**
 * What one read tells, given the file's stat just before and just after it. The clock's "now" is compared with the
 * file's own times, so it must run on the wall clock's time base. Exported for tests.
 */
export function readingOf(text: string, before: StatTimes, after: StatTimes, clock: Clock = systemClock): Reading {
  const moved = before.size !== after.size || text.length !== after.size;
  if (moved) return { text, changedMs: clock.now() };
  return {
    text,
    changedMs: Math.max(before.mtimeMs, before.ctimeMs, after.mtimeMs, after.ctimeMs),
    stamp: stampOf(after),
  };
}

/** The file opened for reading (kept open across the rename), or undefined when it does not exist. */
export async function openHeld(realPath: string): Promise<FileHandle | undefined> {
  try {
    return await open(realPath, constants.O_RDONLY);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads the file at a path through one handle; a file that does not exist reads as undefined. */
export async function readPath(realPath: string, clock: Clock): Promise<Reading> {
  const handle = await openHeld(realPath);
  if (!handle) return { text: undefined, changedMs: undefined };
  try {
    return await readHandle(handle, clock);
  } finally {
    await handle.close();
  }
}

/**
 * Reads again until two reads agree and the file has been left alone for a moment. A program that writes in place
 * truncates the file first and writes it after, perhaps in parts: a read in between sees a part, and merging on a
 * part would lose the rest. A file that never holds still for that long in 2 s is refused, not trusted. Where open
 * writers can be seen (`beingWritten`), two equal reads of a file no program holds open for writing are enough.
 * Every wait and every "now" is the clock's. Exported for tests.
 */
export async function settled(
  file: string,
  read: () => Promise<Reading>,
  first: Reading,
  clock: Clock = systemClock,
  beingWritten?: WritersCheck,
): Promise<string | undefined> {
  let last = first;
  // When this content was first read, by sso-sync's own clock: an empty file is trusted only on that.
  let since = clock.now();
  for (let waited = 0; waited < settleBudgetMs; waited += settlePollMs) {
    await clock.sleep(settlePollMs);
    const again = await read();
    const now = clock.now();
    if (again.text !== last.text) since = now;
    else if (again.text === '' ? now - since >= emptyQuietMs : await trusted(again, now, beingWritten))
      return again.text;
    last = again;
  }
  throw keptChanging(file);
}
