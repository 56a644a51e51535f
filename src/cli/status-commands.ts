/**
 * `sso-sync status` and the session names a completion script offers: what the settings and the AWS config say is
 * configured, read without the AWS SDK, the logger or the watchers: main.ts loads this module for them instead of
 * commands.ts, so that they start almost as fast as `--help`. The settings' parser (YAML, the schema, the cron
 * check) is loaded only when there is a settings file to parse and the settings cache does not hold its text.
 */
import { systemClock, type Clock } from '../clock/clock.js';
import { ExitCode, SsoSyncError } from '../errors.js';
import { homeDir, stateDir } from '../paths.js';
import { readStatusConfig, statusCommand } from '../status/status.js';
import { allSessions, sessionsIn, type SessionSettings } from '../sync/configured-sessions.js';
import type { Command } from './args.js';
import { settingsSessions } from './status-settings.js';

/**
 * The settings' sessions as status and the completion read them: none when the settings cannot be read (told to
 * `onBrokenSettings` when given, which makes any other failure fatal).
 */
function settingsOrNone(
  env: NodeJS.ProcessEnv,
  settingsFile: string | undefined,
  onBrokenSettings?: (error: SsoSyncError) => void,
): Promise<SessionSettings> {
  return settingsSessions(env, settingsFile).catch((error: unknown) => {
    if (onBrokenSettings) {
      if (!(error instanceof SsoSyncError)) throw error;
      onBrokenSettings(error);
    }
    return { sessions: [], source: undefined };
  });
}

/**
 * `sso-sync status`: most wanted when something is wrong, so a broken settings file is reported, not fatal. The
 * settings and the AWS config are read at once, and the config once for both the sessions and the report.
 */
async function status(
  env: NodeJS.ProcessEnv,
  clock: Clock,
  command: Extract<Command, { kind: 'status' }>,
  out: (text: string) => void,
): Promise<ExitCode> {
  const [settings, config] = await Promise.all([
    settingsOrNone(env, command.settingsFile, (error) =>
      out(`settings: ${error.message.split('\n').slice(0, 2).join(' ')}\n`),
    ),
    readStatusConfig(env),
  ]);
  return statusCommand({
    env,
    home: homeDir(env),
    stateDir: stateDir(env),
    sessions: sessionsIn(config.scan.outside, settings, config.file),
    now: new Date(clock.now()),
    config,
    json: command.json,
    out,
  });
}

/** The session names a completion script offers, one a line; nothing (and success) when none can be read. */
async function completionSessions(
  env: NodeJS.ProcessEnv,
  settingsFile: string | undefined,
  out: (text: string) => void,
): Promise<ExitCode> {
  const names = (await allSessions(env, await settingsOrNone(env, settingsFile))).map((s) => s.name);
  out(names.map((n) => `${n}\n`).join(''));
  return ExitCode.ok;
}

/** The commands this module runs. */
export type StatusCommand = Extract<Command, { kind: 'status' | 'completion-sessions' }>;

/** Runs `status` or `completion-sessions` on the real clock unless told; returns the exit code. */
export function runStatusCommand(
  command: StatusCommand,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<ExitCode> {
  const out = (text: string) => process.stdout.write(text);
  return command.kind === 'status'
    ? status(env, clock, command, out)
    : completionSessions(env, command.settingsFile, out);
}
