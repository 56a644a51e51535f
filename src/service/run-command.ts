/** Running the service manager's commands (systemctl, launchctl): without a shell, every outcome as data. */
import { execFile } from 'node:child_process';
import { constants } from 'node:os';
import { SsoSyncError, type ErrorCode } from '../errors.js';

/** How a command ended and what it printed. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with arguments (never through a shell). */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

/**
 * The real runner: execFile, the program looked up on the PATH of `env`. A program that is not there ends
 * with 127, one killed by a signal (or the time limit) with 128 + the signal's number, as a shell reports them.
 */
export function execFileRunner(env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): CommandRunner {
  return (command, args) =>
    new Promise((resolve) => {
      execFile(
        command,
        [...args],
        { env, timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) {
            resolve({ code: 0, stdout, stderr });
            return;
          }
          if (error.code === 'ENOENT') {
            resolve({ code: 127, stdout: '', stderr: `${command}: command not found` });
            return;
          }
          if (typeof error.code === 'number') {
            resolve({ code: error.code, stdout, stderr });
            return;
          }
          if (error.signal) {
            const number = constants.signals[error.signal];
            resolve({
              code: 128 + number,
              stdout,
              stderr: stderr || `${command} was stopped by ${error.signal}${error.killed ? ' (it took too long)' : ''}`,
            });
            return;
          }
          resolve({ code: 1, stdout, stderr: stderr || error.message });
        },
      );
    });
}

/** A command as a person would type it in a shell (for messages and dry runs only; nothing runs it). */
export function commandLine(command: string, args: readonly string[]): string {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  return [command, ...args].map(quote).join(' ');
}

/** The first line of a command's output that says something. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** The error code of a failed service command (exit 1: a failure of the outside world). */
export const failedCode: ErrorCode = 'service.failed';

/** An error naming the command, its exit code, the first line it printed, and what to do. */
export function commandFailed(
  command: string,
  args: readonly string[],
  result: CommandResult,
  whatToDo: string,
): SsoSyncError {
  const said = firstLine(result.stderr) || firstLine(result.stdout) || 'it printed nothing';
  return new SsoSyncError(
    failedCode,
    `\`${commandLine(command, args)}\` failed with exit code ${result.code}: ${said}\n${whatToDo}`,
  );
}
