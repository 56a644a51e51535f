/**
 * The commands that only read: `status`, `log` and the session names a completion script offers. main.ts loads this
 * module instead of commands.ts for them, so that they start almost as fast as `--help`: each loads only its own
 * modules (the log needs no settings), and none loads the AWS SDK, the logger, the file watcher or the scheduler.
 */
import { systemClock, type Clock } from '../clock/clock.js';
import type { ExitCode } from '../errors.js';
import type { Command } from './args.js';

/** The commands this module runs. */
export type LightCommand = Extract<Command, { kind: 'status' | 'log' | 'completion-sessions' }>;

const out = (text: string) => process.stdout.write(text);

/** `sso-sync log`. */
async function log(env: NodeJS.ProcessEnv, clock: Clock, command: Extract<Command, { kind: 'log' }>): Promise<number> {
  const { logCommand } = await import('../history/log-command.js');
  const { since, session, json } = command;
  return logCommand({ since, session, json, env, now: new Date(clock.now()), out });
}

/** Runs `status`, `log` or `completion-sessions` on the real clock unless told; returns the exit code. */
export async function runLightCommand(
  command: LightCommand,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<ExitCode> {
  switch (command.kind) {
    case 'log':
      return (await log(env, clock, command)) as ExitCode;
    case 'status':
      return (await import('./status-commands.js')).status(env, clock, command, out);
    case 'completion-sessions':
      return (await import('./status-commands.js')).completionSessions(env, command.settingsFile, out);
  }
}
