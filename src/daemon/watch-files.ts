/**
 * The file watcher at the edge (Node's fs.watch: inotify on Linux, FSEvents on macOS): the daemon's watches of the
 * AWS config, the settings file and the token cache. Event-driven, nothing polls.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** A path to watch, and whether it is a file or a directory (a name says neither: `~/s.yml`, `settings`). */
export interface WatchedPath {
  path: string;
  kind: 'file' | 'dir';
}

/** A watch running until it is closed. */
export interface Watch {
  close(): Promise<void>;
}

/** Told of a directory that could not be watched, and why (not of one that is simply gone: it is watched again). */
export type WatchProblem = (dir: string, error: NodeJS.ErrnoException) => void;

/** A watch of one directory; each name it reports goes to `heard`. Undefined when it could not be watched. */
function watchDir(dir: string, heard: (name: string) => void, problem?: WatchProblem): FSWatcher | undefined {
  try {
    const watcher = watch(dir, (_event, name) => {
      if (name !== null) heard(name);
    });
    // A directory removed ends its watch; its parent's watch sees it made again.
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch (error) {
    // Gone again before the watch began: its next appearance is heard of the same way. Anything else is said.
    const e = error as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT') problem?.(dir, e);
    return undefined;
  }
}

/** Where a watched file that is a symbolic link (dotfiles) really lives; undefined for a file that is not one. */
function linkTarget(file: string): string | undefined {
  try {
    const real = realpathSync(file);
    return real === file ? undefined : real;
  } catch {
    return undefined;
  }
}

/**
 * Watches the paths; `onChange` hears of every file added, changed or removed in them. A file's directory is
 * watched (not the file), so that a file created later or replaced by a rename is seen; a file that is a symbolic
 * link is also watched where it points, so that an edit of the real file is seen too. The directories are created
 * first (0700). Their parents are watched too, for a directory removed and made again (`rm -rf ~/.aws/sso/cache`,
 * then `aws sso login`): the new directory is watched, and each file already in it is told as changed. A directory
 * that cannot be watched (the system's limit of watches reached) is told to `problem`.
 */
export function watchFiles(
  paths: readonly WatchedPath[],
  onChange: (file: string) => void,
  problem?: WatchProblem,
): Watch {
  const files = paths.filter((p) => p.kind === 'file').map((p) => path.resolve(p.path));
  const dirs = [...new Set(paths.map((p) => path.resolve(p.kind === 'file' ? path.dirname(p.path) : p.path)))];
  for (const dir of dirs) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const watches = new Map<string, FSWatcher>();
  const targets = new Map<string, { file: string; watcher: FSWatcher | undefined }>();
  /** The watch of a linked file's real place, made again when the link changes. */
  const followLink = (file: string) => {
    const target = linkTarget(file);
    const current = targets.get(file);
    if (current && target === current.file) return;
    current?.watcher?.close();
    targets.delete(file);
    if (target === undefined) return;
    const watcher = watchDir(
      path.dirname(target),
      (name) => {
        if (name === path.basename(target)) onChange(file);
      },
      problem,
    );
    targets.set(file, { file: target, watcher });
  };
  const watchOne = (dir: string): boolean => {
    watches.get(dir)?.close();
    watches.delete(dir);
    const watcher = watchDir(
      dir,
      (name) => {
        const file = path.join(dir, name);
        if (files.includes(file)) followLink(file);
        onChange(file);
      },
      problem,
    );
    if (watcher) watches.set(dir, watcher);
    return watcher !== undefined;
  };
  /**
   * Its parent says something of the directory: if it is there, it may be a new one (its removal and making again
   * can reach here as one event), so it is watched anew and every file in it told; telling a file that did not
   * change costs the daemon a read.
   */
  const comeBack = (dir: string) => {
    if (!existsSync(dir) || !watchOne(dir)) return;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // Gone again: nothing in it to tell.
    }
    for (const name of names) onChange(path.join(dir, name));
  };
  for (const dir of dirs) watchOne(dir);
  for (const file of files) followLink(file);
  const parents = [...new Set(dirs.map((d) => path.dirname(d)))].filter((p) => !dirs.includes(p));
  const parentWatches = parents.flatMap((parent) => {
    const watcher = watchDir(
      parent,
      (name) => {
        const dir = path.join(parent, name);
        if (dirs.includes(dir)) comeBack(dir);
      },
      problem,
    );
    return watcher ? [watcher] : [];
  });
  return {
    close: () => {
      for (const watcher of watches.values()) watcher.close();
      for (const { watcher } of targets.values()) watcher?.close();
      for (const watcher of parentWatches) watcher.close();
      return Promise.resolve();
    },
  };
}
