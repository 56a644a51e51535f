/** How long the daemon waits after failures before it tries again: the same steps for a sync and a refresh. */

/** Retry delays after failures in a row: 30 s, doubling, at most 15 minutes. */
export function backoffMs(failures: number): number {
  return Math.min(15 * 60_000, 30_000 * 2 ** Math.max(0, failures - 1));
}
