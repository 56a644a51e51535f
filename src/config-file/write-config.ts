/**
 * Where the file is written: the AWS config replaced atomically, one sso-sync writer at a time.
 *
 * Written here rather than with write-file-atomic because a sync needs two things that library does not offer:
 * a check, after the temp file is ready and just before the rename, that nobody changed the file since it was
 * read (and a redo of the merge when someone did), and an fsync of the directory after the rename.
 * The rest follows the same recipe: real path first, mode and owner kept, temp file beside the target,
 * fsync, rename, temp file removed on every path.
 */
import { constants, renameSync, statSync, type BigIntStats } from 'node:fs';
import { access, mkdir, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../clock/clock.js';
import { describeFsError, fsRemedy, SsoSyncError } from '../errors.js';
import { acquireLock, LockBusyError, processAlive, type LockTakeover } from '../fs/lock-file.js';
import { describeWriters, openWriters, writersVisible, type FindWriters, type OpenWriter } from '../fs/open-writers.js';
import { fsyncDir, newFile, type Owner } from '../fs/replace-file.js';
import { randomHex } from '../fs/unique-name.js';
import type { ConfigSnapshot } from './config-file.js';
import { gaveUp, keptChanging, refused, stillBeingWritten, writtenWhileChanging } from './refusals.js';
import { beingWrittenCheck, holds, openHeld, readHandle, readPath, settled } from './settle.js';

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
  /**
   * Every wait and every "now" of the write (default: the system clock). Its "now" is compared with the file's own
   * times, so it must run on the wall clock's time base.
   */
  clock?: Clock;
  /** Finds the processes that have the file open for writing (default: from /proc, on Linux; null: not seen). */
  findWriters?: FindWriters | null;
  /** Told when the write waits for other programs to close the file (`config.busy`). */
  onWritersWait?: (writers: readonly OpenWriter[], file: string) => void;
  /** How long to wait for them before giving up with nothing written (default 10 s). */
  writerWaitMs?: number;
  /**
   * Where open writers cannot be seen: how long after the rename the replaced file, if it changed a moment before,
   * is read again for what a pausing program wrote into it (default 2 s; 0: not at all).
   */
  lateLookMs?: number;
  /** Told when the file was replaced but its owner (another user's) could not be kept: only root can give it away. */
  onOwnerLost?: (file: string, owner: Owner) => void;
  /** Told when the write lock of a writer that died (or a damaged one) was taken over, to log it. */
  onLockTakeover?: (takeover: LockTakeover) => void;
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

/** The state of one writeConfig call, carried from one attempt to the next. */
interface WriteRun {
  readonly snapshot: ConfigSnapshot;
  readonly options: WriteOptions;
  readonly clock: Clock;
  /** The content to merge on. */
  base: string | undefined;
  /**
   * What the path should hold now. It differs from `base` only after a change was found in the file sso-sync had
   * just replaced: the merge is redone on it, over sso-sync's own file.
   */
  expected: string | undefined;
  /** Set while `base` holds a change rescued from the replaced file, not yet written. */
  rescued: boolean;
  /** How many times another program's change was found before the rename. */
  raced: number;
  /** What the last rename put on the path, if any. */
  lastWritten: string | undefined;
  /** The temp file, while it is neither renamed nor removed. */
  temp: string | undefined;
  /** The target, opened for the last checks and kept open across the rename. */
  held: FileHandle | undefined;
  /** Set by the rename: from then on no failure may say the file was left as it was. */
  written: boolean;
  /** Where a rescued change that could not be merged was kept. */
  unmerged: string | undefined;
}

const tempPrefix = (realPath: string) => `.${path.basename(realPath)}.sso-sync-`;

/**
 * Removes temp files that writers killed mid-write left beside the target. Only the lock holder writes a temp
 * file, so once the lock is held, every one found belongs to a writer that is gone.
 */
/**
 * What writers killed on the way left beside the target, cleaned up by a sync that has nothing to write (a write
 * cleans up under its lock anyway): temp files whose writer's pid is gone, and a lock whose holder is gone (taken
 * and released, which removes it and reports the takeover). Nothing a live process owns is touched; a directory
 * where nothing can be removed is left as it is.
 */
export async function removeLeftovers(
  realPath: string,
  onLockTakeover?: (takeover: LockTakeover) => void,
): Promise<void> {
  const dir = path.dirname(realPath);
  const names = await readdir(dir).catch(() => [] as string[]);
  const prefix = tempPrefix(realPath);
  for (const name of names) {
    const pid = Number(new RegExp(`^${escapeRegExp(prefix)}(\\d+)-[0-9a-f]+\\.tmp$`).exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid))
      await unlink(path.join(dir, name)).catch(() => undefined);
  }
  if (!names.includes(`${path.basename(realPath)}.sso-sync.lock`)) return;
  const release = await acquireLock(`${realPath}.sso-sync.lock`, {
    attempts: 0,
    minDelayMs: 1,
    maxDelayMs: 1,
    ...(onLockTakeover ? { onTakeover: onLockTakeover } : {}),
  }).catch(() => undefined);
  await release?.().catch(() => undefined);
}

/** `text` for a regular expression that matches it literally. */
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function removeDeadTemps(realPath: string): Promise<void> {
  const prefix = tempPrefix(realPath);
  const names = await readdir(path.dirname(realPath)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp'))
      await unlink(path.join(path.dirname(realPath), name)).catch(() => undefined);
  }
}

/** The temp file written, and the owner the target had when it could not be kept (only root can give a file away). */
async function writeTemp(realPath: string, text: string): Promise<{ temp: string; lostOwner?: Owner }> {
  const info = await stat(realPath).catch(() => undefined);
  const temp = path.join(path.dirname(realPath), `${tempPrefix(realPath)}${process.pid}-${randomHex(4)}.tmp`);
  const kept = await newFile(temp, Buffer.from(text, 'latin1'), info ? info.mode & 0o7777 : 0o600, info);
  return kept || !info ? { temp } : { temp, lostOwner: { uid: info.uid, gid: info.gid } };
}

/** A file's identity and state as stat sees it: another program's rename or write changes at least one part. */
function identity(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/**
 * Makes sure the directory exists and can be written, then takes the write lock; resolves with its release.
 * Nothing is written when any of it fails.
 */
async function prepare(snapshot: ConfigSnapshot, options: WriteOptions): Promise<() => Promise<void>> {
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
  try {
    return await acquireLock(`${realPath}.sso-sync.lock`, {
      attempts: 30,
      minDelayMs: 50,
      maxDelayMs: 1_000,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.onLockTakeover ? { onTakeover: options.onLockTakeover } : {}),
    });
  } catch (error) {
    if (error instanceof LockBusyError)
      throw refused(
        `another sso-sync is writing ${snapshot.path} (lock ${realPath}.sso-sync.lock); try again in a moment.`,
        error,
      );
    throw refused(`cannot write in ${dir}: ${describeFsError(error)}. Nothing was written; ${fsRemedy(error)}.`, error);
  }
}

/**
 * Someone else wrote the file since it was read: waits a moment (longer after each race, at random, for a quiet
 * spell), then takes their content as the new base, once they are done writing it.
 */
async function baseAfterRace(run: WriteRun): Promise<void> {
  const { clock, snapshot } = run;
  await clock.sleep(Math.random() * Math.min(100, 5 * 2 ** run.raced));
  const read = () => readPath(snapshot.realPath, clock);
  const writing = beingWrittenCheck(snapshot.realPath, run.options.findWriters);
  run.base = run.expected = await settled(snapshot.path, read, await read(), clock, writing);
}

/**
 * The check on the target, opened and kept open across the rename: whether it still holds what sso-sync expects,
 * unchanged during the read (and then that content, as `now`), and its identity after the read.
 */
async function checkHeld(run: WriteRun): Promise<{ now?: string; heldAfter?: string; unchanged: boolean }> {
  const held = await openHeld(run.snapshot.realPath);
  run.held = held;
  const heldBefore = held && identity(await held.stat({ bigint: true }));
  // Compared piece by piece, not read whole: the content matters only when it is what sso-sync expects.
  const same = held ? run.expected !== undefined && (await holds(held, run.expected)) : run.expected === undefined;
  const heldAfter = held && identity(await held.stat({ bigint: true }));
  return { now: same ? run.expected : undefined, heldAfter, unchanged: same && heldBefore === heldAfter };
}

/**
 * The last check and the rename, synchronous so that nothing can run in between: true when the path still holds the
 * file that was checked (`heldAfter`) and the temp file has replaced it.
 */
function renameIfUnchanged(run: WriteRun, temp: string, heldAfter: string | undefined): boolean {
  const onPath = statSync(run.snapshot.realPath, { bigint: true, throwIfNoEntry: false });
  if ((onPath && identity(onPath)) !== heldAfter) return false;
  renameSync(temp, run.snapshot.realPath);
  run.temp = undefined;
  run.written = true;
  run.rescued = false;
  return true;
}

/**
 * Waits while other programs hold the file open for writing: one that emptied it and pauses before writing the rest
 * would lose the rest to a rename now. Gives up past the wait, with nothing written. True when there were writers.
 */
async function waitForWriters(run: WriteRun): Promise<boolean> {
  const { snapshot } = run;
  const left = await writersClosed(run, snapshot.realPath);
  if (left === undefined) return false;
  if (left.length > 0) throw stillBeingWritten(snapshot.path, describeWriters(left), waitBound(run));
  return true;
}

/** How long the write waits for other programs to close the file. */
const waitBound = (run: WriteRun) => run.options.writerWaitMs ?? 10_000;

/**
 * Waits, up to the bound, until no other program holds `target` open for writing (`target` as /proc names it: the
 * path, or the path and ` (deleted)` for the file just replaced). Resolves undefined when none held it at the first
 * look (or writers cannot be seen), else with those still holding it at the end (none when they all closed).
 */
async function writersClosed(run: WriteRun, target: string): Promise<OpenWriter[] | undefined> {
  const { options, clock, snapshot } = run;
  if (options.findWriters === null) return undefined;
  const find = options.findWriters ?? openWriters;
  let writers = await find(target);
  if (writers.length === 0) return undefined;
  options.onWritersWait?.(writers, snapshot.path);
  const deadline = clock.now() + waitBound(run);
  while (writers.length > 0 && clock.now() < deadline) {
    await clock.sleep(50);
    writers = await find(target);
  }
  return writers;
}

/** Drops an attempt that found the file changed: its temp file and the open file go, and the next try waits. */
async function dropAttempt(run: WriteRun, temp: string): Promise<void> {
  await unlink(temp).catch(() => undefined);
  run.temp = undefined;
  await run.held?.close();
  run.held = undefined;
  run.raced += 1;
}

/**
 * After the rename: reads the replaced file again through the handle kept open. True when nobody wrote into it
 * since the check (`checked` is what the check found); otherwise the change found there is the base of the next try,
 * to be merged over sso-sync's own file (`written`).
 */
async function rescueLateChange(run: WriteRun, checked: string | undefined, written: string): Promise<boolean> {
  const held = run.held;
  if (!held) return true;
  // A program that opened the file just before the rename writes into the replaced file: wait for it to close.
  await writersClosed(run, `${run.snapshot.realPath} (deleted)`);
  // The file replaced is sso-sync's own from the try before (a rescued change merged over it): nobody's to wait for.
  const replacedOwn = checked === run.lastWritten;
  run.lastWritten = written;
  let untouched = checked !== undefined && (await holds(held, checked));
  if (untouched && !replacedOwn && (await lookAgainLater(run, held))) {
    await run.clock.sleep(run.options.lateLookMs ?? defaultLateLookMs);
    untouched = checked !== undefined && (await holds(held, checked));
  }
  if (!untouched) {
    // Another program wrote into the file after the check, in place: its change is only in the replaced inode.
    const read = () => readHandle(held, run.clock);
    run.base = await settled(run.snapshot.path, read, await read(), run.clock);
    // Emptied and not written again: the program that emptied it writes late, or wanted it empty. Merging on
    // nothing would wipe the file just written; say the change may be missing instead (see failureOf).
    if (run.base === '') throw keptChanging(run.snapshot.path);
    run.expected = written;
    run.rescued = true;
  }
  await held.close();
  run.held = undefined;
  return untouched;
}

/** How long after the rename the replaced file is read again, where open writers cannot be seen. */
const defaultLateLookMs = 2_000;
/** A file changed less than this long before the write may still be held by a program that pauses. */
const recentChangeMs = 5_000;

/**
 * Whether to read the replaced file once more a moment later: only where open writers cannot be seen (elsewhere
 * than Linux), and only when it changed a moment before the write. A program that emptied the file and pauses
 * before writing the rest writes the rest into the replaced file; read again, it is merged, not lost.
 */
async function lookAgainLater(run: WriteRun, held: FileHandle): Promise<boolean> {
  const { options } = run;
  if (options.findWriters !== null && writersVisible) return false;
  if ((options.lateLookMs ?? defaultLateLookMs) <= 0) return false;
  const info = await held.stat();
  return run.clock.now() - Math.max(info.mtimeMs, info.ctimeMs) < recentChangeMs;
}

/**
 * One try: the merge, the temp file, the checks, the rename, and the look at the replaced file. True when the write
 * is done (written, or nothing to write); false when another try is needed.
 */
async function attempt(run: WriteRun, rewrite: Rewrite): Promise<boolean> {
  const { options, snapshot } = run;
  if (run.raced > 0 && !run.rescued) await baseAfterRace(run);
  const next = rewrite(run.base) ?? run.base;
  if (next === undefined || next === run.expected) {
    // A rescued change that needs no new content still gets its backup (a hand edit inside a block, say).
    if (run.rescued) await options.beforeCommit?.(run.base);
    return true;
  }
  const { temp, lostOwner } = await writeTemp(snapshot.realPath, next).catch((error: unknown) => {
    throw refused(`cannot write ${snapshot.path}: ${describeFsError(error)}. The file was left as it was.`, error);
  });
  run.temp = temp;
  await options.beforeCommit?.(run.base);
  await options.afterTempWritten?.();
  // Before the last checks, not between them and the rename: that gap stays as short as it can be.
  if (await waitForWriters(run)) {
    // Closed at last: what it wrote meanwhile is read again, and merged on, in the next try.
    await dropAttempt(run, temp);
    return false;
  }
  const { now, heldAfter, unchanged } = await checkHeld(run);
  await options.afterHeldRead?.();
  // The last check is synchronous, right next to the rename, with nothing in between that yields.
  if (!unchanged || !renameIfUnchanged(run, temp, heldAfter)) {
    // A rescued change and a newer one cannot both be kept by merging on either: say so rather than drop one
    // (failureOf reports it as written).
    if (run.rescued) throw await keepRescued(run);
    await dropAttempt(run, temp);
    return false;
  }
  await fsyncDir(path.dirname(snapshot.realPath));
  if (lostOwner) options.onOwnerLost?.(snapshot.path, lostOwner);
  await options.afterRename?.();
  return rescueLateChange(run, now, next);
}

/** Keeps a copy of a rescued change that cannot be merged; resolves with the error to throw (see failureOf). */
async function keepRescued(run: WriteRun): Promise<SsoSyncError> {
  run.unmerged = await run.options.keepUnmerged?.(run.base ?? '').catch(() => undefined);
  return keptChanging(run.snapshot.path);
}

/** The error a failed write ends with: once the file is written, no failure may say it was left as it was. */
function failureOf(run: WriteRun, error: unknown): SsoSyncError {
  if (run.written) return writtenWhileChanging(run.snapshot.path, error, run.unmerged);
  if (error instanceof SsoSyncError) return error;
  return refused(`cannot write ${run.snapshot.path}: ${describeFsError(error)}. The file was left as it was.`, error);
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
  const release = await prepare(snapshot, options);
  const run: WriteRun = {
    snapshot,
    options,
    clock: options.clock ?? systemClock,
    base: snapshot.text,
    expected: snapshot.text,
    rescued: false,
    raced: 0,
    lastWritten: undefined,
    temp: undefined,
    held: undefined,
    written: false,
    unmerged: undefined,
  };
  try {
    await removeDeadTemps(snapshot.realPath);
    // A program that writes the file many times a second can keep a write from passing its checks a few times
    // in a row; each redo waits a little longer, at random, for a quiet moment.
    const maxRedo = options.maxRedo ?? 20;
    for (let redone = 0; redone <= maxRedo; redone++) {
      if (await attempt(run, rewrite)) return { written: run.written, redone };
    }
    // Out of tries with a rescued change still to merge: it is kept, and failureOf says the file was written.
    if (run.rescued) throw await keepRescued(run);
    throw gaveUp(snapshot.path, maxRedo + 1);
  } catch (error) {
    throw failureOf(run, error);
  } finally {
    if (run.temp) await unlink(run.temp).catch(() => undefined);
    await run.held?.close().catch(() => undefined);
    await release().catch(() => undefined);
  }
}
