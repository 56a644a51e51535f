/**
 * Small files sso-sync keeps (the token cache it shares with the AWS CLI, state.json), replaced atomically: the real
 * path first, a temp file beside it, every byte written, fsync, rename, the owner kept, the temp file removed on
 * every path.
 *
 * Written here rather than with write-file-atomic: that library issues a single write(2) and ignores a short count,
 * so on a nearly full disk it renames a truncated temp file over the good one and resolves (seen on a tmpfs with one
 * page free: a 6 kB token file cut to 4096 bytes; its 8.0.0 still does so). FileHandle.writeFile goes on until every
 * byte is written, and then the full disk's ENOSPC is thrown.
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';

/** Replaces `file` with `text` and `mode`; the old file stays unless every byte of the new one was written. */
export async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const target = await realpath(file).catch(() => file);
  const existing = await stat(target).catch(() => undefined);
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', mode);
    await handle.writeFile(text, 'utf8');
    await handle.chmod(mode); // the umask narrowed the mode given to open
    if (existing && (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.())) {
      // Only root can give a file away; anyone else keeps their own ownership.
      await handle.chown(existing.uid, existing.gid).catch(() => undefined);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
