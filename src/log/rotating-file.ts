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
 * - Rotation happens under a lock (`sso-sync.log.lock`) and the size is checked again under it, so two processes
 *   that see a full file at the same time rotate it once. A process that finds the lock held waits for it (up to
 *   50 ms, a rotation takes well under one); a file can still go a few lines past `maxBytes` with the lines other
 *   processes wrote while it was being renamed.
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
import lockfile from 'proper-lockfile';
import { errorCode } from '../errors.js';

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

/** The lock a rotation holds (a directory, as proper-lockfile makes it); `sso-sync log` holds it while it opens the files. */
export function rotationLockPath(file: string): string {
  return `${file}.lock`;
}

/** After this long a rotation lock belongs to a process that died while rotating, and is taken over. */
export const rotationLockStaleMs = 10_000;

/** Which file of the log a name in its directory is: 0 for the current file, n for `.n`, undefined for another file. */
export function rotationNumber(file: string, name: string): number | undefined {
  const base = path.basename(file);
  if (name === base) return 0;
  const match = name.startsWith(`${base}.`) ? /^[1-9][0-9]{0,5}$/.exec(name.slice(base.length + 1)) : null;
  return match ? Number(match[0]) : undefined;
}

/** Opens the log file for appending; `onError` hears once about a line that could not be written, until one is. */
export function openLogFile(options: LogFileOptions, onError: (error: Error) => void): LogFile {
  if (!Number.isInteger(options.maxBytes) || options.maxBytes < 1)
    throw new RangeError(`log file maxBytes must be a positive integer, not ${options.maxBytes}`);
  if (!Number.isInteger(options.maxFiles) || options.maxFiles < 2)
    throw new RangeError(`log file maxFiles must be an integer of at least 2, not ${options.maxFiles}`);
  return new RotatingFile(options, onError);
}

class RotatingFile implements LogFile {
  private fd: number | undefined;
  private opened: BigIntStats | undefined;
  private failing = false;
  /** The file ends in a line cut short (a full disk, a crash): the next line first ends it. */
  private cut = false;
  /** Until then a held rotation lock is not waited for. */
  private lockWaitAfter = 0;
  /** A cell to sleep on while another process rotates: Atomics.wait is the one synchronous sleep. */
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly options: LogFileOptions,
    private readonly onError: (error: Error) => void,
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
    let current = this.statPath();
    if (
      this.fd === undefined ||
      !current ||
      !this.opened ||
      current.ino !== this.opened.ino ||
      current.dev !== this.opened.dev
    ) {
      // First line, or another process rotated (or someone removed) the file: follow the path.
      this.reopen();
      current = this.opened!;
    }
    if (this.tooFull(current, length)) {
      this.rotate(length);
      this.reopen();
    }
    return this.fd!;
  }

  private tooFull(stats: BigIntStats, length: number): boolean {
    // A line longer than maxBytes still gets a file of its own rather than rotating forever.
    return stats.size > 0n && stats.size + BigInt(length) > BigInt(this.options.maxBytes);
  }

  private statPath(): BigIntStats | undefined {
    return statSync(this.options.path, { bigint: true, throwIfNoEntry: false });
  }

  private reopen(): void {
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
      try {
        release();
      } catch {
        // A lock that cannot be removed goes stale and is taken over after 10 s.
      }
    }
  }

  /**
   * Takes the rotation lock, waiting up to 50 ms for another process's rotation (a few renames) to finish, so
   * that lines do not pile up in a full file meanwhile. A lock held longer belongs to a process that died while
   * rotating; it goes stale after 10 s, and until then this process waits no more than once a second.
   */
  private lock(): (() => void) | undefined {
    const now = Date.now();
    const deadline = now < this.lockWaitAfter ? now : now + 50;
    for (;;) {
      try {
        return lockfile.lockSync(this.options.path, {
          realpath: false,
          lockfilePath: rotationLockPath(this.options.path),
          stale: rotationLockStaleMs,
          onCompromised: () => undefined,
        });
      } catch (error) {
        if (errorCode(error) !== 'ELOCKED') return undefined;
        if (Date.now() >= deadline) {
          this.lockWaitAfter = Date.now() + 1_000;
          return undefined;
        }
        Atomics.wait(this.pause, 0, 0, 1);
      }
    }
  }
}

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
