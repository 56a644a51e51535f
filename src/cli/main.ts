#!/usr/bin/env node
/** The composition root: wires the real clock, logger, file system and SDK clients; the only place that exits. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBrowser } from '../auth/browser.js';
import { login } from '../auth/login.js';
import { TokenKeeper } from '../auth/token-keeper.js';
import { createOidcApi } from '../aws/oidc-api.js';
import { createSsoApi } from '../aws/sso-api.js';
import { systemClock } from '../clock/clock.js';
import { configPath, readConfig } from '../config-file/config-file.js';
import { scanConfig } from '../core/config-text.js';
import { ExitCode, exitCodeOf, SsoSyncError } from '../errors.js';
import { createLogger, type Logger } from '../log/logger.js';
import { loadSettings } from '../settings/load.js';
import { runOnce, stateDir, type SyncDeps, type SyncRequest } from '../sync/run-once.js';
import { selectSessions, sessionsFromConfig } from '../sync/sessions.js';
import { checkLogLevel, parseCommand, usage } from './args.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function logger(fd: 1 | 2, level: string | undefined, env: NodeJS.ProcessEnv): Logger {
  const tty = (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  const chosen = level ?? checkLogLevel(env.SSO_SYNC_LOG_LEVEL || undefined, 'SSO_SYNC_LOG_LEVEL');
  return createLogger({ fd, human: tty, color: tty && !env.NO_COLOR, level: chosen });
}

function syncDeps(env: NodeJS.ProcessEnv, log: Logger): SyncDeps {
  return {
    env,
    clock: systemClock,
    log,
    createApi: (region) => createSsoApi(region, systemClock),
    createKeeper: (refreshWindowMs) =>
      new TokenKeeper({
        home: env.HOME || os.homedir(),
        clock: systemClock,
        log,
        oidc: (region) => createOidcApi(region, env),
        refreshWindowMs,
        lockDir: path.join(stateDir(env), 'locks'),
      }),
    out: (t) => process.stdout.write(t),
  };
}

async function sync(deps: SyncDeps, request: SyncRequest): Promise<ExitCode> {
  const report = await runOnce(deps, request);
  for (const f of report.failures) process.stderr.write(`sso-sync: ${f.error.message}\n`);
  const held = report.outcomes.filter((o) => o.held).map((o) => o.session);
  if (held.length > 0) {
    process.stderr.write(`sso-sync: the update for ${held.join(', ')} was held because it would remove too many profiles; see the log above, and run with --allow-mass-removal if that is intended.\n`);
  }
  return report.exitCode;
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  const command = parseCommand(argv);
  const env = process.env;
  switch (command.kind) {
    case 'help':
      process.stdout.write(usage);
      return ExitCode.ok;
    case 'version':
      process.stdout.write(`sso-sync ${version()}\n`);
      return ExitCode.ok;
    case 'unavailable':
      throw new SsoSyncError(
        'usage',
        command.name === 'daemon'
          ? 'the background daemon is not part of this version yet; run `sso-sync --once` to sync now.'
          : `\`sso-sync ${command.name}\` is not part of this version yet; see \`sso-sync --help\`.`,
      );
    case 'once':
      // A dry run prints its diff on stdout, so its log lines go to stderr.
      return sync(syncDeps(env, logger(command.dryRun ? 2 : 1, command.logLevel, env)), command);
    case 'login': {
      const log = logger(1, command.logLevel, env);
      const settings = await loadSettings(command.settingsFile, env);
      const scan = scanConfig((await readConfig(configPath(env))).text ?? '');
      const { sessions } = selectSessions(settings.sessions, sessionsFromConfig(scan.outside).sessions, command.session ? [command.session] : [], settings.source);
      if (sessions.length > 1) {
        throw new SsoSyncError('usage', `several sso-sessions are configured (${sessions.map((s) => s.name).join(', ')}); choose one: \`sso-sync login --session NAME\`.`);
      }
      const session = sessions[0]!;
      await login(
        {
          home: env.HOME || os.homedir(),
          stateDir: stateDir(env),
          clock: systemClock,
          log,
          oidc: createOidcApi(session.region, env),
          openBrowser: (url) => openBrowser(url, env),
          tell: (text) => process.stderr.write(text),
        },
        { session, deviceCode: command.deviceCode, noBrowser: command.noBrowser, timeoutMs: command.timeoutSeconds * 1000 },
      );
      return sync(syncDeps(env, log), { sessions: [session.name], dryRun: false, allowMassRemoval: false, settingsFile: command.settingsFile });
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof SsoSyncError ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`;
    process.stderr.write(`sso-sync: ${message}\n`);
    process.exitCode = exitCodeOf(error);
  },
);
