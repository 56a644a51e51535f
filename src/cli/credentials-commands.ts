/**
 * `sso-sync credentials --profile NAME`, loaded by main.ts on its own: the AWS CLI runs it for every call, so it
 * loads neither the sync nor the daemon, and the settings' parser only when a settings file exists.
 */
import { createRoleCredentialsApi } from '../aws/role-credentials-api.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { credentialsCommand } from '../credentials/credentials-command.js';
import { ExitCode } from '../errors.js';
import { configPath, stateDir } from '../paths.js';
import { zeroSettings } from '../settings/resolved.js';
import type { Command } from './args.js';
import { keeper, logger } from './edges.js';
import { settingsOf } from './settings-of.js';

/**
 * Runs the command: stdout is the AWS CLI's to parse, so log lines go to stderr, warnings and worse unless asked
 * (the log file still gets the info lines). The settings only give the token refresh window: a settings file with a
 * mistake does not stop the credentials.
 */
export async function runCredentialsCommand(
  command: Extract<Command, { kind: 'credentials' }>,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<ExitCode> {
  const log = logger(2, command.logLevel, env, undefined, 'warn');
  const settings = await settingsOf(env, undefined).catch(() => zeroSettings());
  const text = await credentialsCommand(
    {
      clock,
      log,
      configFile: configPath(env),
      stateDir: stateDir(env),
      keeper: keeper({ env, clock }, log, settings.refreshWindowMs),
      api: (region) => createRoleCredentialsApi(region, env),
    },
    command.profile,
  );
  process.stdout.write(text);
  return ExitCode.ok;
}
