/**
 * sso-sync's log file: whole JSON lines appended with one write each, rotated by size, shared by every sso-sync
 * process of the user (the daemon, a `--once`, a `login`).
 *
 * Written here rather than taken from a library: pino-roll counts only the bytes its own process wrote, numbers
 * files from what it saw at start-up and prunes only the files it created, and it runs in a worker thread;
 * rotating-file-stream writes asynchronously and does not coordinate rotation between processes either. With two
 * sso-sync processes on one file both would rotate on their own counts and lines still buffered at SIGTERM would be
 * lost. What sso-sync needs is small, so it is done here with synchronous writes.
 *
 * What is guaranteed, on a local file system (not NFS):
 * - A line is never split or mixed with another process's line: the file is opened with O_APPEND and each line is
 *   handed to the kernel in a single write(2), which appends it whole (a short write happens only when the disk is
 *   full; the rest is then written at once, and a reader skips a damaged line). A line cut short that way (or by a
 *   crash) is ended before the next line is written, so only the cut line is lost, not the next one with it.
 * - When `write` returns, the line is in the kernel: nothing is buffered in the process, so a normal exit, an
 *   uncaught exception or SIGTERM loses nothing already logged. (A power cut can; lines are not fsynced.)
 * - Rotation by one process loses no other process's line. Before each line a process compares the file at the
 *   path with the one it holds open and reopens when another process has rotated it; a line written between that
 *   check and the write lands in `sso-sync.log.1`, which is kept and read by `sso-sync log`. Such a line could be
 *   lost only if `maxFiles - 1` rotations (each needing `maxBytes` of new lines) happened between the check and
 *   the write of one line.
 * - Rotation happens under a lock (`sso-sync.log.rotation.lock`, see fs/lock-file.ts) and the size is checked again
 *   under it, so two processes that see a full file at the same time rotate it once. A process that finds the lock
 *   held waits for it (up to about 50 ms, a rotation takes well under one); a file can still go a few lines past
 *   `maxBytes` with the lines other processes wrote while it was being renamed. A lock left by a process killed
 *   while rotating is taken over at once, and the takeover is logged.
 * - At most `maxFiles` files exist: the current one and `.1` (newest) to `.{maxFiles-1}` (oldest).
 * - `sso-sync log` opens the files under the same lock, so it never reads a file twice or misses one mid-rotation.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../clock/clock.js';
import { errorCode } from '../errors.js';
import { acquireLockSync, LockBusyError, type LockOptions, type LockTakeover } from '../fs/lock-file.js';

/** Where the log file is and how much of it is kept. */
export interface LogFileOptions {
  path: string;
  /** A file is rotated before a line would take it past this many bytes. */
  maxBytes: number;
  /** How many files are kept, the current one included (at least 2). */
  maxFiles: number;
}

/** The default size limits: 5 files of up to 5 MiB. */
export const defaultLogLimits = { maxBytes: 5 * 1024 * 1024, maxFiles: 5 } as const;

/** A log file lines can be written to. */
export interface LogFile {
  /** Appends one whole line (it ends with a newline); never throws. */
  write(line: string): void;
  /** Closes the file; a later write opens it again. */
  close(): void;
}

/** The path of the nth rotated file; 1 is the newest. */
export function rotatedPath(file: string, n: number): string {
  return `${file}.${n}`;
}

/**
 * The lock a rotation holds; `sso-sync log` holds it while it opens the files. Not `<file>.lock`: that is the
 * directory an earlier sso-sync's lock made, and one left by a crash must not stand in this lock's way.
 */
export function rotationLockPath(file: string): string {
  return `${file}.rotation.lock`;
}

/**
 * After this long a rotation lock is taken over whatever its pid (then reused by another process): a rotation
 * is a few renames. A lock whose holder died is taken over at once.
 */
export const rotationLockStaleMs = 10_000;

/** Which file of the log a name in its directory is: 0 for the current file, n for `.n`, undefined for another file. */
export function rotationNumber(file: string, name: string): number | undefined {
  const base = path.basename(file);
  if (name === base) return 0;
  const match = name.startsWith(`${base}.`) ? /^[1-9][0-9]{0,5}$/.exec(name.slice(base.length + 1)) : null;
  return match ? Number(match[0]) : undefined;
}

/** What the log file reports besides failed writes, and the clock it reads. */
export interface LogFileHooks {
  /** Told, once the line that rotated is written, of a rotation lock taken over from a process judged gone. */
  onTakeover?: (takeover: LockTakeover) => void;
  clock?: Clock;
}

/** Opens the log file for appending; `onError` hears once about a line that could not be written, until one is. */
export function openLogFile(
  options: LogFileOptions,
  onError: (error: Error) => void,
  hooks: LogFileHooks = {},
): LogFile {
  if (!Number.isInteger(options.maxBytes) || options.maxBytes < 1)
    throw new RangeError(`log file maxBytes must be a positive integer, not ${options.maxBytes}`);
  if (!Number.isInteger(options.maxFiles) || options.maxFiles < 2)
    throw new RangeError(`log file maxFiles must be an integer of at least 2, not ${options.maxFiles}`);
  return new RotatingFile(options, onError, hooks);
}

class RotatingFile implements LogFile {
  private fd: number | undefined;
  private opened: BigIntStats | undefined;
  private failing = false;
  /** The file ends in a line cut short (a full disk, a crash): the next line first ends it. */
  private cut = false;
  /** Until then a held rotation lock is not waited for. */
  private lockWaitAfter = 0;
  /** Rotation locks taken over while writing a line: reported once the line is written, not in the middle. */
  private takeovers: LockTakeover[] = [];

  constructor(
    private readonly options: LogFileOptions,
    private readonly onError: (error: Error) => void,
    private readonly hooks: LogFileHooks,
  ) {}

  write(line: string): void {
    const text = Buffer.from(line, 'utf8');
    try {
      const fd = this.currentFd(text.length);
      // Still one write(2): the newline that ends a cut line and this line go together.
      const data = this.cut ? Buffer.concat([newline, text]) : text;
      let done = 0;
      while (done < data.length) {
        const n = writeSync(fd, data, done, data.length - done);
        if (n <= 0) throw new Error(`could not append to ${this.options.path}`);
        done += n;
      }
      this.cut = false;
      this.failing = false;
    } catch (error) {
      this.close();
      if (!this.failing) {
        this.failing = true;
        this.onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
    this.reportTakeovers();
  }

  /** The report may log a line, so it comes after this one is written, when no rotation is under way. */
  private reportTakeovers(): void {
    if (this.takeovers.length === 0) return;
    const taken = this.takeovers;
    this.takeovers = [];
    for (const takeover of taken) this.hooks.onTakeover?.(takeover);
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.opened = undefined;
    try {
      closeSync(fd);
    } catch {
      // Nothing is buffered, so nothing is lost by a failed close.
    }
  }

  /** The descriptor of the file now at the path, rotated first when this line would not fit. */
  private currentFd(length: number): number {
    // On the first line, or when another process rotated (or someone removed) the file, follow the path.
    let open = this.held(this.statPath()) ?? this.reopen();
    if (this.tooFull(open.stats, length)) {
      this.rotate(length);
      open = this.reopen();
    }
    return open.fd;
  }

  /** The file held open, when it is still the one at the path (`current`). */
  private held(current: BigIntStats | undefined): { fd: number; stats: BigIntStats } | undefined {
    const { fd, opened } = this;
    if (fd === undefined || !current || !opened || current.ino !== opened.ino || current.dev !== opened.dev)
      return undefined;
    return { fd, stats: current };
  }

  private tooFull(stats: BigIntStats, length: number): boolean {
    // A line longer than maxBytes still gets a file of its own rather than rotating forever.
    return stats.size > 0n && stats.size + BigInt(length) > BigInt(this.options.maxBytes);
  }

  private statPath(): BigIntStats | undefined {
    return statSync(this.options.path, { bigint: true, throwIfNoEntry: false });
  }

  /** Opens the file now at the path, in place of the one held. */
  private reopen(): { fd: number; stats: BigIntStats } {
    this.close();
    const dir = path.dirname(this.options.path);
    if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodQuietly(dir);
    const fd = openSync(this.options.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    const stats = fstatSync(fd, { bigint: true });
    if ((stats.mode & 0o777n) !== 0o600n) {
      try {
        fchmodSync(fd, 0o600);
      } catch {
        // A file of another user: it is still written, as the person set it up.
      }
    }
    this.fd = fd;
    this.opened = stats;
    this.cut = stats.size > 0n && !endsWithNewline(this.options.path, stats.size);
    return { fd, stats };
  }

  private rotate(length: number): void {
    const file = this.options.path;
    const release = this.lock();
    // Another process is still rotating (or the lock cannot be made): the line goes into the current file.
    if (!release) return;
    try {
      // Another process may have rotated between this one's look and the lock.
      const current = this.statPath();
      if (current && this.tooFull(current, length)) shift(file, this.options.maxFiles);
    } finally {
      // Never throws: a lock that cannot be removed goes stale, and is taken over, after 10 s.
      release();
    }
  }

  /**
   * Takes the rotation lock, waiting up to about 50 ms for another process's rotation (a few renames) to finish,
   * so that lines do not pile up in a full file meanwhile. A lock held longer belongs to a process stopped while
   * rotating (one that died is taken over at once); until it is released or goes stale (10 s), this process
   * tries once a second, without waiting.
   */
  private lock(): (() => void) | undefined {
    const clock = this.hooks.clock ?? systemClock;
    const now = clock.now();
    const waiting: Pick<LockOptions, 'attempts' | 'minDelayMs' | 'maxDelayMs'> =
      now < this.lockWaitAfter ? { attempts: 0, minDelayMs: 0, maxDelayMs: 0 } : rotationLockWait;
    try {
      return acquireLockSync(rotationLockPath(this.options.path), {
        ...waiting,
        staleMs: rotationLockStaleMs,
        clock,
        onTakeover: (takeover) => this.takeovers.push(takeover),
      });
    } catch (error) {
      if (error instanceof LockBusyError) this.lockWaitAfter = clock.now() + 1_000;
      return undefined;
    }
  }
}

/** Waits of 1, 2 and then 4 ms between attempts: about 50 ms in all (in real time: the wait blocks the thread). */
const rotationLockWait = { attempts: 14, minDelayMs: 1, maxDelayMs: 4 } as const;

/** Renames the current file to `.1`, `.1` to `.2`, and so on, removing those beyond `maxFiles - 1`. */
function shift(file: string, maxFiles: number): void {
  const dir = path.dirname(file);
  const present = readdirSync(dir)
    .map((name) => rotationNumber(file, name))
    .filter((n): n is number => n !== undefined && n > 0)
    .sort((a, b) => b - a);
  for (const n of present) {
    // Beyond the oldest kept: also what an earlier, larger maxFiles left behind.
    if (n >= maxFiles - 1) ignoreMissing(() => unlinkSync(rotatedPath(file, n)));
    else ignoreMissing(() => renameSync(rotatedPath(file, n), rotatedPath(file, n + 1)));
  }
  ignoreMissing(() => renameSync(file, rotatedPath(file, 1)));
}

const newline = Buffer.from('\n');

/** Whether a file of this size ends with a newline; true when that cannot be told (the line is written as it is). */
function endsWithNewline(file: string, size: bigint): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const last = Buffer.alloc(1);
    return readSync(fd, last, 0, 1, size - 1n) !== 1 || last[0] === newline[0];
  } catch {
    return true;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function ignoreMissing(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

function chmodQuietly(dir: string): void {
  try {
    // mkdir's mode is filtered by the umask; the state directory is the user's alone whatever the umask.
    chmodSync(dir, 0o700);
  } catch {
    // Best effort.
  }
}
