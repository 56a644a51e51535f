/**
 * The random part of a file name that must not be another process's (a temp file, a lock's claim): hex digits from
 * Math.random, which V8 seeds from the system's random source in each process. Nothing secret rides on it; the
 * process id beside it in each name and the exclusive create or link of the file are what make a clash impossible
 * or seen. Node's crypto is not loaded for it: the daemon's own process does without it (see core/short-hash.ts).
 */

/** `bytes` random bytes, as hex. */
export function randomHex(bytes: number): string {
  let hex = '';
  for (let i = 0; i < bytes; i++)
    hex += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return hex;
}
