/**
 * Where the file is written: the AWS config read as bytes and replaced atomically, one sso-sync writer at a time.
 *
 * Written here rather than with write-file-atomic because a sync needs two things that library does not offer:
 * a check, after the temp file is ready and just before the rename, that nobody changed the file since it was
 * read (and a redo of the merge when someone did), and an fsync of the directory after the rename.
 * The rest follows the same recipe: real path first, mode and owner kept, temp file beside the target,
 * fsync, rename, temp file removed on every path.
 */
import { randomBytes } from 'node:crypto';
import { constants, renameSync, statSync, type BigIntStats, type Stats } from 'node:fs';
import {
  access,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  realpath,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock } from '../fs/lock-file.js';
import { fsyncDir, newFile } from '../fs/replace-file.js';
import { describeFsError, errorCode, fsRemedy, SsoSyncError } from '../errors.js';

/** The file as found: its bytes (as a latin1 string) or undefined when it does not exist, and where it really is. */
export interface ConfigSnapshot {
  /** The path given. */
  path: string;
  /** The path written: the symlink's target when `path` is a symlink. */
  realPath: string;
  text: string | undefined;
}

function refused(message: string, cause?: unknown): SsoSyncError {
  return new SsoSyncError('config.refused', message, { cause });
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

// The byte-order mark says the whole file is UTF-16, which the AWS CLI cannot parse; appending UTF-8 to it helps nobody.
const notUtf8 = (file: string, encoding: string) =>
  `${file} is ${encoding} text (it starts with a UTF-16 byte-order mark); the AWS CLI reads only UTF-8. Convert it, e.g. iconv -f UTF-16 -t UTF-8, then run again.`;

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
      `${file} is a symbolic link to ${target}, which does not exist. Create the target or remove the link, then run again.`,
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

/** Reads the AWS config as bytes; a file that exists but cannot be read is refused (exit 4). */
export async function readConfig(file: string): Promise<ConfigSnapshot> {
  let realPath: string;
  try {
    realPath = await resolveTarget(file);
  } catch (error) {
    if (error instanceof SsoSyncError) throw error;
    const code = errorCode(error);
    if (code === 'ELOOP')
      throw refused(
        `${file} is a symbolic link in a loop of links. Remove the link or point it at a real file (or set AWS_CONFIG_FILE to one), then run again.`,
        error,
      );
    if (code === 'ENOTDIR')
      throw refused(
        `${file} cannot exist: a part of its path is a file, not a directory. Move that file away (or set AWS_CONFIG_FILE to another path), then run again.`,
        error,
      );
    throw refused(`cannot find where ${file} is: ${describeFsError(error)}.`, error);
  }
  try {
    const info = await stat(realPath);
    if (info.isDirectory()) throw refused(`${file} is a directory, not a file. Move it away, then run again.`);
    // A pipe would block the read for ever; a device would be replaced by a regular file at the first write.
    if (!info.isFile())
      throw refused(
        `${file} is not a regular file (${kindOf(info)}); sso-sync only edits regular files. Point AWS_CONFIG_FILE at a file, then run again.`,
      );
    const reading = await readPath(realPath);
    // Written a moment ago: perhaps by a program that truncated the file and has not yet written all of it again.
    const text = quiet(reading) ? reading.text : await settled(file, () => readPath(realPath), reading);
    // The text is a byte string (latin1): one character per byte.
    if (text?.startsWith('\xff\xfe')) throw refused(notUtf8(file, 'UTF-16LE'));
    if (text?.startsWith('\xfe\xff')) throw refused(notUtf8(file, 'UTF-16BE'));
    return { path: file, realPath, text };
  } catch (error) {
    if (error instanceof SsoSyncError) throw error;
    if (errorCode(error) === 'ENOENT') return { path: file, realPath, text: undefined };
    throw refused(`cannot read ${file}: ${describeFsError(error)}. Fix its permissions, then run again.`, error);
  }
}

/** What a write attempt computes from the file's current content: the new content, or undefined for "no change". */
export type Rewrite = (current: string | undefined) => string | undefined;

/** How a write ended. */
export interface WriteResult {
  written: boolean;
  /** How many times the merge was redone because someone else changed the file meanwhile. */
  redone: number;
}

/** Options for writeConfig. */
export interface WriteOptions {
  /** Called with the content the merge was made on, before the last checks and the rename (e.g. a backup). */
  beforeCommit?: (previous: string | undefined) => Promise<void>;
  /** How many times to redo the merge when the file keeps changing under us. */
  maxRedo?: number;
  /** Test hook: runs after the temp file is written, before the re-check. */
  afterTempWritten?: () => Promise<void>;
  /**
   * Keeps a copy of a change rescued from the replaced file that a newer change then kept from being merged (see
   * writeConfig); resolves with where it is.
   */
  keepUnmerged?: (text: string) => Promise<string>;
  /** Test hook: runs after the content check on the open file, before the synchronous check next to the rename. */
  afterHeldRead?: () => Promise<void>;
  /** Test hook: runs right after the rename, before the replaced file is read again. */
  afterRename?: () => Promise<void>;
}

const tempPrefix = (realPath: string) => `.${path.basename(realPath)}.sso-sync-`;

/**
 * Removes temp files that writers killed mid-write left beside the target. Only the lock holder writes a temp
 * file, so once the lock is held, every one found belongs to a writer that is gone.
 */
async function removeDeadTemps(realPath: string): Promise<void> {
  const prefix = tempPrefix(realPath);
  const names = await readdir(path.dirname(realPath)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp'))
      await unlink(path.join(path.dirname(realPath), name)).catch(() => undefined);
  }
}

async function writeTemp(realPath: string, text: string): Promise<string> {
  const info = await stat(realPath).catch(() => undefined);
  const temp = path.join(
    path.dirname(realPath),
    `${tempPrefix(realPath)}${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
  await newFile(temp, Buffer.from(text, 'latin1'), info ? info.mode & 0o7777 : 0o600, info);
  return temp;
}

/** A file's identity and state as stat sees it: another program's rename or write changes at least one part. */
function identity(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/** The whole content of an open file, read from its start whatever the handle's position. */
async function readHeld(handle: FileHandle): Promise<string> {
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(Math.max(64 * 1024, Number((await handle.stat()).size) - position + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return Buffer.concat(chunks).toString('latin1');
    chunks.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

/** The file kept changing while sso-sync read it: nothing was, or is, written on a read that might be half a write. */
function keptChanging(file: string): SsoSyncError {
  return refused(
    `${file} kept changing while sso-sync read it (another program is writing it many times a second); nothing was written. Run again when it is done.`,
  );
}

/**
 * sso-sync wrote the file, but another program's change made at that moment could not be merged in; `saved` is
 * where the file with that change was kept, when it could be.
 */
function writtenWhileChanging(file: string, cause?: unknown, saved?: string): SsoSyncError {
  const where = saved ? ` (the file with it, as sso-sync found it, is saved in ${saved})` : '';
  return refused(
    `${file} kept changing while sso-sync wrote it: the profiles are written, but a change another program made at the same moment may be missing${where}; check the file, then run again.`,
    cause,
  );
}

/** A file's content as read, and when it last changed (undefined: it does not exist). Exported for tests. */
export interface Reading {
  text: string | undefined;
  changedMs: number | undefined;
}

/** How long a file must have been left alone before its content is trusted as whole. */
const quietMs = 100;
/** How long an empty file must stay empty, by sso-sync's own clock: `generator > ~/.aws/config` empties it first. */
const emptyQuietMs = 1_000;
const settlePollMs = 10;
const settleBudgetMs = 2_000;

/**
 * Whether a reading's times say the file has been left alone long enough. An empty file is never trusted on its
 * times: see readHandle.
 */
const quiet = (r: Reading) => r.changedMs === undefined || (r.text !== '' && Date.now() - r.changedMs >= quietMs);

/**
 * Reads an open file whole, with the later of its mtime and ctime before and after (a change during the read shows).
 * Times alone miss one change: on ext4 a file truncated by open(…, 'w') is empty for a moment while still showing
 * its old times (measured here: up to about a millisecond, often enough that one read in a few thousand sees it).
 * So a size that moved during the read counts as a change now, and an empty file must be seen empty for a second.
 */
async function readHandle(handle: FileHandle): Promise<Reading> {
  const before = await handle.stat();
  const text = await readHeld(handle);
  return readingOf(text, before, await handle.stat());
}

/** What one read tells, given the file's stat just before and just after it. Exported for tests. */
export function readingOf(text: string, before: StatTimes, after: StatTimes): Reading {
  const moved = before.size !== after.size;
  return {
    text,
    changedMs: moved ? Date.now() : Math.max(before.mtimeMs, before.ctimeMs, after.mtimeMs, after.ctimeMs),
  };
}

/** The parts of a stat a reading is judged on. */
type StatTimes = Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs'>;

/** Reads the file at a path through one handle; a file that does not exist reads as undefined. */
async function readPath(realPath: string): Promise<Reading> {
  const handle = await openHeld(realPath);
  if (!handle) return { text: undefined, changedMs: undefined };
  try {
    return await readHandle(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Reads again until two reads agree and the file has been left alone for a moment. A program that writes in place
 * truncates the file first and writes it after, perhaps in parts: a read in between sees a part, and merging on a
 * part would lose the rest. A file that never holds still for that long in 2 s is refused, not trusted.
 * Exported for tests.
 */
export async function settled(file: string, read: () => Promise<Reading>, first: Reading): Promise<string | undefined> {
  let last = first;
  // When this content was first read, by sso-sync's own clock: an empty file is trusted only on that.
  let since = Date.now();
  for (let waited = 0; waited < settleBudgetMs; waited += settlePollMs) {
    await sleep(settlePollMs);
    const again = await read();
    if (again.text !== last.text) since = Date.now();
    else if (again.text === '' ? Date.now() - since >= emptyQuietMs : quiet(again)) return again.text;
    last = again;
  }
  throw keptChanging(file);
}

/** The file opened for reading (kept open across the rename), or undefined when it does not exist. */
async function openHeld(realPath: string): Promise<FileHandle | undefined> {
  try {
    return await open(realPath, constants.O_RDONLY);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Replaces the file atomically with what `rewrite` computes from its current content. Holds a lock so that two
 * sso-sync processes never write at once. Other programs take no lock, so:
 * - a change made between the read and the rename is found by a check just before the rename (content, then
 *   inode, size and times, synchronously next to the rename), and the merge is redone on it;
 * - a change written in place into the file after that check (as `aws configure set` writes) lands in the inode
 *   the rename replaced: sso-sync keeps that inode open, reads it after the rename, and merges again on it.
 * What no check can see is another program's own rename in the microseconds between the last check and ours:
 * POSIX has no compare-and-swap rename (Linux's RENAME_EXCHANGE is not reachable from Node).
 * A new file is created 0600 in a 0700 directory.
 */
export async function writeConfig(
  snapshot: ConfigSnapshot,
  rewrite: Rewrite,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const { realPath } = snapshot;
  const dir = path.dirname(realPath);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw refused(`cannot create the directory ${dir}: ${describeFsError(error)}. Nothing was written.`, error);
  }
  try {
    // Fail fast, with a clear message, where nothing can be written.
    await access(dir, constants.W_OK);
  } catch (error) {
    throw refused(
      `cannot write in ${dir}: ${describeFsError(error)}. Nothing was written; fix the directory's permissions.`,
      error,
    );
  }
  let release: () => Promise<void>;
  try {
    release = await acquireLock(`${realPath}.sso-sync.lock`, { attempts: 30, minDelayMs: 50, maxDelayMs: 1_000 });
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOCKED')
      throw refused(
        `another sso-sync is writing ${snapshot.path} (lock ${realPath}.sso-sync.lock); try again in a moment.`,
        error,
      );
    throw refused(`cannot write in ${dir}: ${describeFsError(error)}. Nothing was written; ${fsRemedy(error)}.`, error);
  }
  let temp: string | undefined;
  let held: FileHandle | undefined;
  let written = false;
  // Where a rescued change that could not be merged was kept.
  let unmerged: string | undefined;
  try {
    await removeDeadTemps(realPath);
    // A program that writes the file many times a second can keep a write from passing its checks a few times
    // in a row; each redo waits a little longer, at random, for a quiet moment.
    const maxRedo = options.maxRedo ?? 20;
    let raced = 0;
    // `base` is the content to merge on; `expected` what the path should hold now. They differ only after a
    // change was found in the file sso-sync had just replaced: the merge is redone on it, over sso-sync's own file.
    let base = snapshot.text;
    let expected = snapshot.text;
    // Set while `base` holds a change rescued from the replaced file, not yet written.
    let rescued = false;
    // A rescued change that cannot be merged is kept elsewhere; the catch below says the file was written.
    const keepRescued = async () => {
      unmerged = await options.keepUnmerged?.(base ?? '').catch(() => undefined);
      return keptChanging(snapshot.path);
    };
    for (let redone = 0; redone <= maxRedo; redone++) {
      if (raced > 0 && !rescued) {
        // Someone else wrote the file since we read it: wait a moment (longer after each race, at random, for a
        // quiet spell), then merge again on their content, once they are done writing it.
        await sleep(Math.random() * Math.min(100, 5 * 2 ** raced));
        base = expected = await settled(snapshot.path, () => readPath(realPath), await readPath(realPath));
      }
      const computed = rewrite(base);
      const next = computed ?? base;
      if (next === expected) {
        // A rescued change that needs no new content still gets its backup (a hand edit inside a block, say).
        if (rescued) await options.beforeCommit?.(base);
        return { written, redone };
      }
      try {
        temp = await writeTemp(realPath, next!);
      } catch (error) {
        throw refused(`cannot write ${snapshot.path}: ${describeFsError(error)}. The file was left as it was.`, error);
      }
      await options.beforeCommit?.(base);
      await options.afterTempWritten?.();
      held = await openHeld(realPath);
      const heldBefore = held && identity(await held.stat({ bigint: true }));
      const now = held ? await readHeld(held) : undefined;
      const heldAfter = held && identity(await held.stat({ bigint: true }));
      const unchanged = now === expected && heldBefore === heldAfter;
      await options.afterHeldRead?.();
      // The last check is synchronous, right next to the rename, with nothing in between that yields.
      const onPath = unchanged ? statSync(realPath, { bigint: true, throwIfNoEntry: false }) : undefined;
      if (!unchanged || (onPath && identity(onPath)) !== heldAfter) {
        // A rescued change and a newer one cannot both be kept by merging on either: say so rather than drop one
        // (the catch below reports it as written).
        if (rescued) throw await keepRescued();
        await unlink(temp).catch(() => undefined);
        temp = undefined;
        await held?.close();
        held = undefined;
        raced += 1;
        continue;
      }
      renameSync(temp, realPath);
      temp = undefined;
      written = true;
      rescued = false;
      await fsyncDir(dir);
      await options.afterRename?.();
      if (!held) return { written, redone };
      const late = await readHeld(held);
      if (late === now) {
        await held.close();
        held = undefined;
        return { written, redone };
      }
      // Another program wrote into the file after the check, in place: its change is only in the replaced inode.
      const reading = held;
      base = await settled(snapshot.path, () => readHandle(reading), await readHandle(reading));
      // Emptied and not written again: the program that emptied it writes late, or wanted it empty. Merging on
      // nothing would wipe the file just written; say the change may be missing instead (the catch below).
      if (base === '') throw keptChanging(snapshot.path);
      expected = next;
      rescued = true;
      await held.close();
      held = undefined;
    }
    // Out of tries with a rescued change still to merge: it is kept, and the catch below says the file was written.
    if (rescued) throw await keepRescued();
    throw refused(
      `${snapshot.path} kept changing while sso-sync tried to write it (${maxRedo + 1} tries); nothing was written. Run again when the other writer is done.`,
    );
  } catch (error) {
    // Once the file is written, no failure may say it was left as it was.
    if (written) throw writtenWhileChanging(snapshot.path, error, unmerged);
    if (error instanceof SsoSyncError) throw error;
    throw refused(`cannot write ${snapshot.path}: ${describeFsError(error)}. The file was left as it was.`, error);
  } finally {
    if (temp) await unlink(temp).catch(() => undefined);
    await held?.close().catch(() => undefined);
    await release().catch(() => undefined);
  }
}
