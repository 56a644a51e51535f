/**
 * The built CLI on a pseudo-terminal, typed into as a person would: util-linux's `script` gives the command a pty
 * (its stdin, stdout and stderr are that terminal) and forwards what the test writes to the pty, keystrokes and all.
 */
import { spawn, spawnSync } from 'node:child_process';
import { outputWaiters } from './output-waiters.js';
import { cliPath } from './sandbox.js';

/** Whether `script` can be run here; CI installs it (Debian's bsdutils). */
export function scriptMissing(): string | undefined {
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return undefined;
  const why = 'util-linux `script` is not installed here (CI installs it)';
  // Under CI a missing tool fails the test instead of skipping it.
  if (process.env.CI === 'true') throw new Error(why);
  return why;
}

/** What the terminal showed and how the command exited. */
export interface TerminalResult {
  code: number | null;
  screen: string;
}

/** A command running on a terminal. */
export interface Terminal {
  /** Everything shown so far, without escape sequences and carriage returns. */
  screen(): string;
  /**
   * Resolves with the first match of the pattern in what was shown since the last match (waits up to 20 s, or
   * `timeoutMs`): a question asked again is a new match.
   */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Types a line and presses Enter. */
  type(line: string): void;
  /** Presses keys as they are (`\x03` is Ctrl-C, `\x04` Ctrl-D). */
  press(keys: string): void;
  done: Promise<TerminalResult>;
}

const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
// Cursor moves, erases and colours as readline and pino-pretty write them.
const escapes = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

/** Starts `sso-sync ARGS` on a new terminal, with exactly `env` (killed after 90 s, or `timeoutMs`). */
export function onTerminal(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Terminal {
  const command = [process.execPath, cliPath, ...args].map(quote).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: { ...env, SHELL: '/bin/sh', TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  const screen = () => raw.replace(escapes, '').replaceAll('\r', '');
  const { check, waitFor } = outputWaiters(screen, true, 'on the terminal after what was matched');
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    raw += d;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    raw += d;
    check();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<TerminalResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen: screen() });
    });
  });
  return {
    screen,
    waitFor: (pattern, waitMs = 20_000) => waitFor(pattern, waitMs),
    type(line) {
      child.stdin.write(`${line}\r`);
    },
    press(keys) {
      child.stdin.write(keys);
    },
    done: done.finally(() => child.stdin.destroy()),
  };
}
