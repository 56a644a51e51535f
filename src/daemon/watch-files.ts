/**
 * The file watcher at the edge (chokidar): the daemon's watches of the AWS config, the settings file and the token
 * cache. Event-driven, nothing polls.
 */
import { existsSync, mkdirSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import chokidar from 'chokidar';

/** A path to watch, and whether it is a file or a directory (a name says neither: `~/s.yml`, `settings`). */
export interface WatchedPath {
  path: string;
  kind: 'file' | 'dir';
}

/** A watch running until it is closed. */
export interface Watch {
  close(): Promise<void>;
}

/**
 * Watches the paths; `onChange` hears of every file added, changed or removed in them. A file's directory is
 * watched (not the file), so that a file created later or replaced by a rename is seen. The directories are
 * created first (0700): chokidar does not see a directory that appears after the watch began. Their parents are
 * watched too, for a directory removed and made again (`rm -rf ~/.aws/sso/cache`, then `aws sso login`): the watch
 * of it is taken up again, and each file already in it is told as changed.
 */
export function watchFiles(paths: readonly WatchedPath[], onChange: (file: string) => void): Watch {
  const dirs = [...new Set(paths.map((p) => path.resolve(p.kind === 'file' ? path.dirname(p.path) : p.path)))];
  for (const dir of dirs) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const watcher = chokidar.watch(dirs, { ignoreInitial: true, depth: 0 }).on('all', (_event, file) => onChange(file));
  const parents = [...new Set(dirs.map((d) => path.dirname(d)))].filter((p) => !dirs.includes(p));
  const watched = new Set(dirs);
  const renewed = new Map<string, FSWatcher>();
  // Node's own watch of each parent: a removal and a new directory at once come as one 'rename' of its name.
  const comeBack = parents.flatMap((parent) => {
    try {
      const w = watch(parent, (_event, name) => {
        if (name !== null) renew(path.join(parent, name));
      });
      w.on('error', () => undefined);
      return [w];
    } catch {
      return [];
    }
  });
  const renew = (dir: string) => {
    if (!watched.has(dir) || !existsSync(dir)) return;
    // Node's own watch again: chokidar shares one handle per path among its watchers, and the lost one stays dead.
    renewed.get(dir)?.close();
    try {
      const w = watch(dir, (_event, name) => {
        if (name !== null) onChange(path.join(dir, name));
      });
      w.on('error', () => undefined);
      renewed.set(dir, w);
    } catch {
      return; // Gone again before the watch began: its next appearance is heard of the same way.
    }
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // Gone again.
    }
    for (const name of names) onChange(path.join(dir, name));
  };
  return {
    close: async () => {
      for (const w of [...renewed.values(), ...comeBack]) w.close();
      await watcher.close();
    },
  };
}
