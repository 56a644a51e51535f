/**
 * Writing whole files durably: a new file created exclusively with every byte written, its mode and owner set and
 * fsynced, or nothing left at all; and on top of it an atomic replacement (temp file beside the real path, then
 * rename). The token cache, state.json, registrations, service files and backups use these; the AWS config's
 * writer builds its own checks around newFile.
 *
 * Written here rather than with write-file-atomic: that library issues a single write(2) and ignores a short count,
 * so on a nearly full disk it renames a truncated temp file over the good one and resolves (seen on a tmpfs with one
 * page free: a 6 kB token file cut to 4096 bytes; its 8.0.0 still does so). FileHandle.writeFile goes on until every
 * byte is written, and then the full disk's ENOSPC is thrown.
 */
import { randomHex } from './unique-name.js';
import { constants } from 'node:fs';
import { chown, open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from './lock-file.js';

/** Who should own a new file; only root can give a file away, so anyone else keeps their own ownership. */
export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Creates `file` (it must not exist) holding `data` with `mode` (the umask does not narrow it) and `owner`, and
 * fsyncs it. On any failure, a full disk included, the file is removed: no part of it is left behind. Resolves with
 * whether the owner asked for could be given (only root can give a file to someone else).
 */
export async function newFile(file: string, data: string | Buffer, mode: number, owner?: Owner): Promise<boolean> {
  const handle = await open(file, 'wx', mode);
  let complete = false;
  let ownerKept = true;
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    if (owner && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.())) {
      ownerKept = await chown(file, owner.uid, owner.gid).then(
        () => true,
        () => false,
      );
    }
    await handle.sync();
    complete = true;
  } finally {
    await handle.close();
    if (!complete) await unlink(file).catch(() => undefined);
  }
  return ownerKept;
}

/** Makes a rename or a new name in `dir` durable. Some file systems refuse fsync on a directory; that is ignored. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    /* not supported here */
  } finally {
    await handle.close();
  }
}

/** Removes the temp files of replaceFile (`<name>.<pid>.<hex>.tmp`) that writers killed on the way left. */
async function removeDeadTemps(target: string): Promise<void> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(`${base}.`)) continue;
    const pid = Number(/^\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(base.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid))
      await unlink(path.join(dir, name)).catch(() => undefined);
  }
}

/**
 * Replaces `file` with `text` and `mode`; the old file stays unless every byte of the new one was written. Temp
 * files a killed writer left beside it are removed first.
 */
export async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const target = await realpath(file).catch(() => file);
  await removeDeadTemps(target);
  const existing = await stat(target).catch(() => undefined);
  const temp = `${target}.${process.pid}.${randomHex(4)}.tmp`;
  await newFile(temp, text, mode, existing);
  try {
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
