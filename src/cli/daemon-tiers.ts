/**
 * V8's compiling tiers, off in the daemon's long-lived process. It only waits and hands work on, the same few steps
 * at every cycle: the tiers, which would compile those steps after enough cycles, only cost it memory (6.6 MB more
 * after 30 cycles than after 10, bench/idle.ts; none with the tiers off). They are turned off before the command's
 * modules load: loading them makes a few of Node's own path functions hot, and Maglev's compiling them leaves 2.6 MB
 * of its code resident for as long as the process runs. The flags are V8's own, set for this process alone: the
 * daemon's workers are processes of their own and compile as usual, as every other command does.
 *
 * This module imports nothing: main.ts, the command's entry, is built with it and nothing else before the flags are
 * set, since every module Node resolves for it (each a walk up the directories for a package.json) makes those path
 * functions hotter.
 */

import type * as V8 from 'node:v8';

/** The flags that turn V8's compiling tiers off. */
const daemonTierFlags: readonly string[] = ['--no-opt', '--no-maglev', '--no-sparkplug'];

/**
 * Node's options the service units start the daemon's node with (systemd/sso-sync.service,
 * launchd/io.github.sso-sync.plist): the tier flags, so that the tiers are off before Node itself resolves the
 * script's path (at an install's usual depth, `…/lib/node_modules/sso-sync/dist/src/cli/`, that alone makes Node's
 * path functions hot enough for Maglev, whose first compile leaves 2 MB of its code resident); a young generation
 * of at most 1 MB, which a process that allocates little in bursts never needs larger; and V8's `gc`, with which the
 * daemon collects its garbage after each job (`collectGarbage`). The daemon's workers are forked without them.
 */
export const daemonNodeFlags: readonly string[] = [...daemonTierFlags, '--max-semi-space-size=1', '--expose-gc'];

/**
 * A full collection of the daemon's garbage, after each of its jobs, where V8's `gc` is exposed (the service units
 * start the daemon so). Each job leaves some garbage behind (the IPC messages, the log lines), which V8 in a process
 * that allocates so little would collect only now and then: 1.4 MB more between cycle 10 and cycle 100 of the
 * bench's scheduled syncs without this, flat with it. A collection of the daemon's few MB takes a few milliseconds.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The options the daemon takes, each with a value (`--settings FILE`, `--log-level=debug`). */
const daemonOptions = ['--settings', '--log-level'];

/**
 * Whether this command line runs the daemon: nothing, or only the daemon's options, each with its value (what the
 * service units and the README start). Read before the command line is parsed, so it only looks; a line it does
 * not recognise runs with the tiers on until the daemon itself turns them off (runDaemonCommand).
 */
export function runsDaemon(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (daemonOptions.some((o) => arg.startsWith(`${o}=`))) continue;
    if (!daemonOptions.includes(arg) || i + 1 >= args.length || args[i + 1]!.startsWith('-')) return false;
    i++;
  }
  return true;
}

/** What `process` has from Node.js 22.3 on; typed as always there, which it is not before. */
interface MaybeGetBuiltin {
  getBuiltinModule?: (id: 'node:v8') => typeof V8;
}

/**
 * Turns V8's compiling tiers off in this process; nothing on a Node.js before 22.3, which cannot be asked for V8's
 * module without an import (the daemon then turns them off as it starts, with v8 imported: `v8Flags`).
 */
export function idleTiers(v8Flags?: (flag: string) => void): void {
  const setFlags = v8Flags ?? (process as MaybeGetBuiltin).getBuiltinModule?.('node:v8').setFlagsFromString;
  if (setFlags) for (const flag of daemonTierFlags) setFlags(flag);
}
