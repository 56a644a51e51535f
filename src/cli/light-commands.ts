/**
 * The commands that only read: `status`, `log` and the session names a completion script offers. main.ts loads this
 * module instead of commands.ts for them, so that they start almost as fast as `--help`: each loads only its own
 * modules (the log needs no settings), and none loads the AWS SDK, the logger, the file watcher or the scheduler.
 */
import { systemClock, type Clock } from '../clock/clock.js';
import { ExitCode, SsoSyncError } from '../errors.js';
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

/**
 * The sessions configured now, as status and the completion read them: with the defaults when the settings cannot
 * be read (told to `onBrokenSettings` when given, which makes any other failure fatal).
 */
async function configured(
  env: NodeJS.ProcessEnv,
  settingsFile: string | undefined,
  onBrokenSettings?: (error: SsoSyncError) => void,
) {
  const [{ loadSettings }, { zeroSettings }, { allSessions }] = await Promise.all([
    import('../settings/load.js'),
    import('../settings/schema.js'),
    import('../sync/configured-sessions.js'),
  ]);
  const settings = await loadSettings(settingsFile, env).catch((error: unknown) => {
    if (onBrokenSettings) {
      if (!(error instanceof SsoSyncError)) throw error;
      onBrokenSettings(error);
    }
    return zeroSettings();
  });
  return allSessions(env, settings);
}

/** `sso-sync status`: most wanted when something is wrong, so a broken settings file is reported, not fatal. */
async function status(
  env: NodeJS.ProcessEnv,
  clock: Clock,
  command: Extract<Command, { kind: 'status' }>,
): Promise<number> {
  const [{ statusCommand }, { homeDir, stateDir }] = await Promise.all([
    import('../status/status.js'),
    import('../paths.js'),
  ]);
  const sessions = await configured(env, command.settingsFile, (error) =>
    out(`settings: ${error.message.split('\n').slice(0, 2).join(' ')}\n`),
  );
  return statusCommand({
    env,
    home: homeDir(env),
    stateDir: stateDir(env),
    sessions,
    now: new Date(clock.now()),
    json: command.json,
    out,
  });
}

/** The session names a completion script offers, one a line; nothing (and success) when none can be read. */
async function completionSessions(env: NodeJS.ProcessEnv, settingsFile: string | undefined): Promise<number> {
  const names = (await configured(env, settingsFile)).map((s) => s.name);
  out(names.map((n) => `${n}\n`).join(''));
  return ExitCode.ok;
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
      return (await status(env, clock, command)) as ExitCode;
    case 'completion-sessions':
      return (await completionSessions(env, command.settingsFile)) as ExitCode;
  }
}
