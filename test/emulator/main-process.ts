/** The `npm run emulator` entry point as a child process, for tests about what a person sees of it. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built entry point. */
export const MAIN = fileURLToPath(new URL('../../src/emulator/main.js', import.meta.url));

/** A running emulator entry point. */
export interface MainProcess {
  /** What it printed on stdout up to its ready line (the banner). */
  banner: string;
  /** Everything printed so far on each stream. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match in the stream, from what it printed after the banner (waits up to 15 s). */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, from?: number): Promise<RegExpMatchArray>;
  /** Sends SIGTERM and resolves with the exit code; rejects if it still runs 10 s later. */
  stop(): Promise<number | null>;
  /** Ends it at once if it still runs (call it in a `finally`). */
  kill(): void;
}

/**
 * Starts the entry point and waits (up to 15 s) for its ready line, the one that ends with Ctrl+C. `waitFor` looks
 * in the given stream from offset `from` (default: where the banner ended, for stdout; 0 for stderr).
 */
export async function startMain(args: string[]): Promise<MainProcess> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const printed = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    printed.stdout += chunk.toString();
    for (const listener of [...listeners]) listener();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    printed.stderr += chunk.toString();
    for (const listener of [...listeners]) listener();
  });

  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp, from = 0): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const match = printed[stream].slice(from).match(pattern);
        if (match === null) return;
        listeners.delete(check);
        clearTimeout(limit);
        resolve(match);
      };
      const limit = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`nothing matched ${String(pattern)} within 15 s:\n${printed.stdout}${printed.stderr}`));
      }, 15_000);
      void exited.then((code) => {
        if (!listeners.has(check)) return;
        listeners.delete(check);
        clearTimeout(limit);
        reject(new Error(`exited with ${code} before ${String(pattern)}:\n${printed.stdout}${printed.stderr}`));
      });
      listeners.add(check);
      check();
    });

  let banner: string;
  try {
    banner = (await waitFor('stdout', /^[\s\S]*?Ctrl\+C[^\n]*\n/))[0];
  } catch (error) {
    kill();
    throw error;
  }
  return {
    banner,
    stdout: () => printed.stdout,
    stderr: () => printed.stderr,
    waitFor: (stream, pattern, from) => waitFor(stream, pattern, from ?? (stream === 'stdout' ? banner.length : 0)),
    async stop() {
      child.kill('SIGTERM');
      let limit: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_resolve, reject) => {
        limit = setTimeout(() => reject(new Error(`still running 10 s after SIGTERM:\n${printed.stdout}`)), 10_000);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(limit);
      }
    },
    kill,
  };
}

/** The values of the `export NAME=VALUE` lines of a banner. */
export function bannerExports(banner: string): Record<string, string> {
  return Object.fromEntries([...banner.matchAll(/^ {2}export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The `[sso-session …]` section a banner prints, as it is to be pasted into a config (indent removed). */
export function bannerSessionSection(banner: string): string {
  const match = /^ {2}\[sso-session [^\n]+\n(?: {2}\w+ = [^\n]+\n)+/m.exec(banner);
  if (match === null) throw new Error(`no [sso-session …] section in the banner:\n${banner}`);
  return match[0].replace(/^ {2}/gm, '');
}
