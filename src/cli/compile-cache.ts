/**
 * Node's on-disk compile cache for sso-sync's modules: a command started again finds its modules' compiled code
 * there instead of compiling them anew. Kept in the user's cache directory, not in the installation (which may be
 * read-only) nor in the shared temp directory (where another user could have made the directory first). A cache
 * that cannot be written is only slower: Node reports it to the caller and does not throw.
 */
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** Where the cache is: `$XDG_CACHE_HOME/sso-sync/node-compile-cache`, else under `~/.cache`. */
export function compileCacheDir(env: NodeJS.ProcessEnv): string {
  // The home directory as paths.ts finds it; not imported from there, which loads node:crypto, slow to start.
  const cacheHome = env.XDG_CACHE_HOME
    ? path.resolve(env.XDG_CACHE_HOME)
    : path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cacheHome, 'sso-sync', 'node-compile-cache');
}

/** Node 22.0 has no enableCompileCache (22.1 and later have). */
type MaybeCompileCache = { enableCompileCache?: (directory: string) => unknown };

/**
 * Turns the cache on for the modules loaded from now on. Node's own variables win: `NODE_COMPILE_CACHE` (a cache
 * directory of the person's choice, which Node has already turned on) and `NODE_DISABLE_COMPILE_CACHE`.
 */
export function useCompileCache(env: NodeJS.ProcessEnv): void {
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return;
  (module as MaybeCompileCache).enableCompileCache?.(compileCacheDir(env));
}
