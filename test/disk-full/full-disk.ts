/**
 * A full disk where no small file system can be mounted: data written below a directory fails as it does on a
 * full tmpfs. Loaded into a CLI child with `node --import` (it installs itself from `SSO_SYNC_TEST_FULL_DIR` and
 * `SSO_SYNC_TEST_FULL_PAGES`), or installed in-process with `installFullDisk`.
 *
 * What it keeps of a real full disk, so that the same scenario means the same on both: files can still be
 * created, renamed, linked and removed (a tmpfs needs no page for that); data takes pages from a budget of free
 * pages; a write that needs more pages than are left writes what fits (the slack of the file's last page and the
 * pages left) and returns the short count, and the next one fails with ENOSPC, as write(2) does. (Unlike a tmpfs,
 * a file removed gives no page back: the budget is per process, or per installation.) It patches the
 * `node:fs` and `node:fs/promises` functions sso-sync and its libraries write with (`write-file-atomic` calls
 * `fs.write` on the CommonJS object; sso-sync's own modules use named ESM imports, which
 * `module.syncBuiltinESMExports()` updates), and the FileHandle methods, which named imports do not hide.
 */
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page size the budget counts in (a tmpfs counts in the machine's pages). */
export const pageSize = 4096;

type Data = string | NodeJS.ArrayBufferView;
type Callback = (error: NodeJS.ErrnoException | null, ...rest: unknown[]) => void;

function enospc(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), {
    errno: -28,
    code: 'ENOSPC',
    syscall,
  });
}

/** The bytes a write call asks to write, and where: its arguments after the descriptor or handle. */
function bytesOf(data: Data, a?: unknown, b?: unknown, c?: unknown): { bytes: Buffer; position: number | null } {
  const at = (p: unknown) => (typeof p === 'number' || typeof p === 'bigint' ? Number(p) : null);
  if (typeof data === 'string')
    return { bytes: Buffer.from(data, typeof b === 'string' ? (b as BufferEncoding) : 'utf8'), position: at(a) };
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (a !== null && typeof a === 'object') {
    const o = a as { offset?: number; length?: number; position?: number | null };
    const offset = o.offset ?? 0;
    return { bytes: view.subarray(offset, offset + (o.length ?? view.length - offset)), position: at(o.position) };
  }
  const offset = typeof a === 'number' ? a : 0;
  const length = typeof b === 'number' ? b : view.length - offset;
  return { bytes: view.subarray(offset, offset + length), position: at(c) };
}

function dataOf(data: Data | Iterable<Data>, options: unknown): Buffer {
  const encoding =
    typeof options === 'string'
      ? options
      : ((options as { encoding?: BufferEncoding } | undefined)?.encoding ?? 'utf8');
  if (typeof data === 'string') return Buffer.from(data, encoding as BufferEncoding);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([...data].map((d) => dataOf(d, options)));
}

function flagOf(options: unknown, fallback: string): string {
  return (
    (typeof options === 'object' && options !== null ? (options as { flag?: string }).flag : undefined) ?? fallback
  );
}

function modeOf(options: unknown): number {
  return (typeof options === 'object' && options !== null ? (options as { mode?: number }).mode : undefined) ?? 0o666;
}

/**
 * Makes the disk below `dir` full but for `freePages` pages, in this process, until the returned function is
 * called. Only files opened after this call are affected.
 */
export async function installFullDisk(dir: string, freePages: number): Promise<() => void> {
  const root = path.resolve(dir);
  let free = freePages;
  // Descriptors of files below the directory, with the file each was opened on: a descriptor number is reused once
  // closed, and FileHandle.close is an instance field that cannot be patched, so each use checks it is that file.
  const opened = new Map<number, string>();
  const identity = (fd: number) => {
    const s = fs.fstatSync(fd);
    return `${s.dev}:${s.ino}`;
  };
  const track = (fd: number) => opened.set(fd, identity(fd));
  const onPathBelow = (fd: number): boolean => {
    try {
      return under(fs.readlinkSync(`/proc/self/fd/${fd}`).replace(/ \(deleted\)$/, ''));
    } catch {
      return true; // no /proc here: the identity check alone decides
    }
  };
  const tracked = {
    has(fd: number): boolean {
      const id = opened.get(fd);
      if (id === undefined) return false;
      let now: string | undefined;
      try {
        now = identity(fd);
      } catch {
        // closed
      }
      // The same device and inode can be a new file: a removed file's inode is soon reused. Where /proc tells
      // which path a descriptor is open on, that path must still be below the directory.
      if (now === id && onPathBelow(fd)) return true;
      opened.delete(fd);
      return false;
    },
  };
  const under = (p: unknown): boolean => {
    if (typeof p !== 'string' && !(p instanceof URL) && !Buffer.isBuffer(p)) return false;
    const full = path.resolve(p instanceof URL ? fileURLToPath(p) : String(p));
    return full === root || full.startsWith(root + path.sep);
  };
  /** How many of `length` bytes at `position` (the end when null) fit in the file open as `fd`; throws if none. */
  const fit = (fd: number, length: number, position: number | null, syscall: string): number => {
    if (length === 0) return 0;
    const size = fs.fstatSync(fd).size;
    const start = position ?? size;
    const pages = (bytes: number) => Math.ceil(bytes / pageSize);
    const needed = pages(Math.max(size, start + length)) - pages(size);
    if (needed <= free) {
      free -= needed;
      return length;
    }
    const room = (pages(size) + free) * pageSize - start;
    if (room <= 0) throw enospc(syscall);
    free = 0;
    return Math.min(room, length);
  };

  const originals = new Map<object, Map<string, unknown>>();
  const patch = (target: object, name: string, make: (original: (...args: unknown[]) => unknown) => unknown) => {
    const saved = originals.get(target) ?? new Map<string, unknown>();
    originals.set(target, saved);
    const original = (target as Record<string, unknown>)[name];
    saved.set(name, original);
    (target as Record<string, unknown>)[name] = make(original as (...args: unknown[]) => unknown);
  };

  // Which descriptors are files below the directory.
  patch(fs, 'openSync', (original) => (p: fs.PathLike, ...rest: unknown[]) => {
    const fd = original(p, ...rest) as number;
    if (under(p)) track(fd);
    return fd;
  });
  patch(fs, 'open', (original) => (p: fs.PathLike, ...rest: unknown[]) => {
    const callback = rest.pop() as Callback;
    original(p, ...rest, (error: NodeJS.ErrnoException | null, fd: number) => {
      if (!error && under(p)) track(fd);
      callback(error, fd);
    });
  });
  patch(fsp, 'open', (original) => async (p: fs.PathLike, ...rest: unknown[]) => {
    const handle = (await original(p, ...rest)) as FileHandle;
    if (under(p)) track(handle.fd);
    return handle;
  });

  // Writes to a descriptor.
  patch(fs, 'writeSync', (original) => (fd: number, data: Data, ...rest: unknown[]) => {
    if (!tracked.has(fd)) return original(fd, data, ...rest);
    const { bytes, position } = bytesOf(data, ...rest);
    const n = fit(fd, bytes.length, position, 'write');
    return original(fd, bytes, 0, n, position);
  });
  patch(fs, 'write', (original) => (fd: number, data: Data, ...rest: unknown[]) => {
    const callback = rest.pop() as Callback;
    if (!tracked.has(fd)) return original(fd, data, ...rest, callback);
    let n: number;
    const { bytes, position } = bytesOf(data, ...rest);
    try {
      n = fit(fd, bytes.length, position, 'write');
    } catch (error) {
      process.nextTick(callback, error);
      return undefined;
    }
    return original(fd, bytes, 0, n, position, (error: NodeJS.ErrnoException | null, written: number) => {
      callback(error, written, data);
    });
  });
  const writeAllSync = (fd: number, bytes: Buffer) => {
    for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done, null);
  };
  for (const [name, flag] of [
    ['writeFileSync', 'w'],
    ['appendFileSync', 'a'],
  ] as const) {
    patch(fs, name, (original) => (file: fs.PathOrFileDescriptor, data: Data, options?: unknown) => {
      if (typeof file === 'number' ? !tracked.has(file) : !under(file)) return original(file, data, options);
      if (typeof file === 'number') {
        writeAllSync(file, dataOf(data, options));
        return undefined;
      }
      const fd = fs.openSync(file, flagOf(options, flag), modeOf(options));
      try {
        writeAllSync(fd, dataOf(data, options));
      } finally {
        fs.closeSync(fd);
      }
      return undefined;
    });
  }
  for (const [name, flag] of [
    ['writeFile', 'w'],
    ['appendFile', 'a'],
  ] as const) {
    patch(fs, name, (original) => (file: fs.PathOrFileDescriptor, data: Data, ...rest: unknown[]) => {
      const callback = rest.pop() as Callback;
      if (typeof file === 'number' ? !tracked.has(file) : !under(file)) return original(file, data, ...rest, callback);
      const sync = name === 'writeFile' ? fs.writeFileSync : fs.appendFileSync;
      try {
        sync(file, dataOf(data, rest[0]), rest[0] ?? { flag });
      } catch (error) {
        process.nextTick(callback, error);
        return undefined;
      }
      process.nextTick(callback, null);
      return undefined;
    });
  }

  // Files written by path, as a full disk takes them: created (or truncated) first, then the data fails.
  for (const [name, flag] of [
    ['writeFile', 'w'],
    ['appendFile', 'a'],
  ] as const) {
    patch(fsp, name, (original) => async (file: fs.PathLike | FileHandle, data: Data, options?: unknown) => {
      if (typeof file === 'object' && 'fd' in file)
        return tracked.has(file.fd) ? file.writeFile(data, options as never) : original(file, data, options);
      if (!under(file)) return original(file, data, options);
      const handle = await fsp.open(file, flagOf(options, flag), modeOf(options));
      try {
        await handle.writeFile(dataOf(data, options));
      } finally {
        await handle.close();
      }
      return undefined;
    });
  }

  // FileHandle methods (sso-sync's config writer writes through a handle): the class is not exported, so its
  // prototype is taken from a handle.
  const probe = await fsp.open(fileURLToPath(import.meta.url), 'r');
  const handles = Object.getPrototypeOf(probe) as object;
  await probe.close();
  patch(
    handles,
    'write',
    (original) =>
      async function (this: FileHandle, data: Data, ...rest: unknown[]) {
        if (!tracked.has(this.fd)) return original.call(this, data, ...rest);
        const { bytes, position } = bytesOf(data, ...rest);
        const n = fit(this.fd, bytes.length, position, 'write');
        return original.call(this, bytes, 0, n, position);
      },
  );
  for (const name of ['writeFile', 'appendFile']) {
    patch(
      handles,
      name,
      (original) =>
        async function (this: FileHandle, data: Data, options?: unknown) {
          if (!tracked.has(this.fd)) return original.call(this, data, options);
          const bytes = dataOf(data, options);
          for (let done = 0; done < bytes.length;)
            done += (await this.write(bytes, done, bytes.length - done, null)).bytesWritten;
          return undefined;
        },
    );
  }

  syncBuiltinESMExports();
  return () => {
    for (const [target, saved] of originals)
      for (const [name, original] of saved) (target as Record<string, unknown>)[name] = original;
    syncBuiltinESMExports();
  };
}

const envDir = process.env.SSO_SYNC_TEST_FULL_DIR;
if (envDir) await installFullDisk(envDir, Number(process.env.SSO_SYNC_TEST_FULL_PAGES ?? '0'));
