/**
 * The composition root: wires the real clock, logger, file system and SDK clients to each command. main.ts loads it
 * only once it knows the command is not `--help` or `--version`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openBrowser } from '../auth/browser.js';
import { login } from '../auth/login.js';
import chokidar from 'chokidar';
import cron from 'node-cron';
import { TokenKeeper } from '../auth/token-keeper.js';
import type { SessionDef } from '../core/types.js';
import { runDaemon, type Refreshed } from '../daemon/daemon.js';
import { claimDaemon } from '../daemon/single-instance.js';
import { zeroSettings, type Settings } from '../settings/schema.js';
import { logCommand } from '../history/log-command.js';
import { defaultLogFile } from '../log/log-file.js';
import { defaultCliPath, execFileRunner, serviceCommand } from '../service/index.js';
import { statusCommand } from '../status/status.js';
import { recordNextRun, recordRunFailure, recordSync } from '../sync/sync-state.js';
import { createOidcApi } from '../aws/oidc-api.js';
import { createSsoApi } from '../aws/sso-api.js';
import { systemClock } from '../clock/clock.js';
import { readConfig } from '../config-file/config-file.js';
import { scanConfig } from '../core/config-text.js';
import { ExitCode, SsoSyncError } from '../errors.js';
import { createLogger, type Logger } from '../log/logger.js';
import { loadSettings } from '../settings/load.js';
import { runOnce, type SyncDeps, type SyncRequest } from '../sync/run-once.js';
import { selectSessions, sessionsFromConfig } from '../sync/sessions.js';
import { checkLogLevel, type Command } from './args.js';
import { configPath, homeDir, locksDir, settingsPath, stateDir } from '../paths.js';

function logger(fd: 1 | 2, level: string | undefined, env: NodeJS.ProcessEnv): Logger {
  const tty = (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  const chosen = level ?? checkLogLevel(env.SSO_SYNC_LOG_LEVEL || undefined, 'SSO_SYNC_LOG_LEVEL');
  // Every run also appends its JSON lines to the rotated log file that `sso-sync log` reads.
  return createLogger({ fd, human: tty, color: tty && !env.NO_COLOR, level: chosen, file: defaultLogFile(env) });
}

function keeper(env: NodeJS.ProcessEnv, log: Logger, refreshWindowMs: number, onRefreshed?: Refreshed): TokenKeeper {
  return new TokenKeeper({
    home: homeDir(env),
    clock: systemClock,
    log,
    oidc: (region) => createOidcApi(region, env),
    refreshWindowMs,
    lockDir: locksDir(stateDir(env)),
    ...(onRefreshed ? { onRefreshed } : {}),
  });
}

function syncDeps(env: NodeJS.ProcessEnv, log: Logger, onRefreshed?: Refreshed): SyncDeps {
  return {
    env,
    clock: systemClock,
    log,
    createApi: (region, options) => createSsoApi(region, systemClock, options),
    createKeeper: (refreshWindowMs) => keeper(env, log, refreshWindowMs, onRefreshed),
    out: (t) => process.stdout.write(t),
  };
}

/** Every session a full sync covers now; none (rather than an error) when nothing is configured yet. */
async function allSessions(env: NodeJS.ProcessEnv, settings: Settings): Promise<SessionDef[]> {
  const scan = scanConfig((await readConfig(configPath(env)).catch(() => ({ text: '' }))).text ?? '');
  try {
    return selectSessions(
      settings.sessions,
      sessionsFromConfig(scan.outside).sessions,
      [],
      settings.source,
      configPath(env),
    ).sessions;
  } catch {
    return [];
  }
}

/** A desktop notification, without a shell; failures are only logged. */
function notifier(log: Logger, enabled: () => boolean): (title: string, text: string) => void {
  return (title, text) => {
    if (!enabled()) return;
    const quote = (t: string) => `"${t.replace(/[\\"]/g, '\\$&')}"`;
    const [file, args] =
      process.platform === 'darwin'
        ? ['osascript', ['-e', `display notification ${quote(text)} with title ${quote(title)}`]]
        : ['notify-send', ['--app-name=sso-sync', title, text]];
    execFile(file, args, { timeout: 10_000 }, (error) => {
      if (error)
        log.debug({ event: 'notify.failed', error: error.message }, `desktop notification failed: ${error.message}`);
    });
  };
}

async function daemon(
  env: NodeJS.ProcessEnv,
  command: { settingsFile: string | undefined; logLevel: string | undefined },
): Promise<ExitCode> {
  const log = logger(1, command.logLevel, env);
  const state = stateDir(env);
  const home = homeDir(env);
  const claim = await claimDaemon(state, new Date());
  let notify = false;
  try {
    return await runDaemon({
      clock: systemClock,
      log,
      home,
      configFile: configPath(env),
      settingsFile: settingsPath(command.settingsFile, env).file,
      loadSettings: async () => {
        const settings = await loadSettings(command.settingsFile, env);
        notify = settings.notify;
        return settings;
      },
      sessions: (settings) => allSessions(env, settings),
      runSync: async (request, onRefreshed) => {
        const deps = syncDeps(env, log, onRefreshed);
        try {
          const report = await runOnce(deps, { ...request, settingsFile: command.settingsFile });
          if (!report.cancelled) await recordSync(state, report, new Date());
          return report;
        } catch (error) {
          await recordFailure(env, request, error);
          throw error;
        }
      },
      recordNextRun: (next) => recordNextRun(state, next, new Date()),
      createKeeper: (settings, onRefreshed) => keeper(env, log, settings.refreshWindowMs, onRefreshed),
      schedule: (expression, task) => {
        const job = cron.schedule(expression, task);
        return { stop: () => void job.stop(), nextRun: () => job.getNextRun() ?? undefined };
      },
      watch: (paths, onChange) => {
        // Directories are watched (not the files), so that a file created later or replaced by a rename is seen.
        // They are created first: chokidar does not see a directory that appears after the watch began.
        const dirs = [
          ...new Set(
            paths.map((p) =>
              p.endsWith('.json') || p.endsWith('.yaml') || p === configPath(env) ? path.dirname(p) : p,
            ),
          ),
        ];
        for (const dir of dirs) mkdirSync(dir, { recursive: true, mode: 0o700 });
        return chokidar.watch(dirs, { ignoreInitial: true, depth: 0 }).on('all', (_event, file) => onChange(file));
      },
      signals: process,
      notify: notifier(log, () => notify),
    });
  } finally {
    await claim.release();
  }
}

/** Records a run that failed as a whole (settings, a refused file) against every session it was to sync. */
async function recordFailure(env: NodeJS.ProcessEnv, request: SyncRequest, error: unknown): Promise<void> {
  if (!(error instanceof SsoSyncError)) return;
  const settings = request.settings ?? (await loadSettings(request.settingsFile, env).catch(() => zeroSettings()));
  const sessions =
    request.sessions.length > 0
      ? request.sessions
      : (await allSessions(env, settings).catch(() => [])).map((s) => s.name);
  await recordRunFailure(stateDir(env), sessions, error, new Date()).catch(() => undefined);
}

async function sync(deps: SyncDeps, request: SyncRequest): Promise<ExitCode> {
  const report = await runOnce(deps, request).catch(async (error: unknown) => {
    await recordFailure(deps.env, request, error);
    throw error;
  });
  await recordSync(stateDir(deps.env), report, new Date()).catch(() => undefined);
  for (const f of report.failures) process.stderr.write(`sso-sync: ${f.error.message}\n`);
  const held = report.outcomes.filter((o) => o.held).map((o) => o.session);
  if (held.length > 0) {
    process.stderr.write(
      `sso-sync: the update for ${held.join(', ')} was held because it would remove too many profiles; see the log above, and run with --allow-mass-removal if that is intended.\n`,
    );
  }
  return report.exitCode;
}

/** How the process ends: with this code, and at once (`end`) when handles a finished daemon left may keep it up. */
export interface Ending {
  code: ExitCode;
  end?: boolean;
}

/** Runs a parsed command other than help and version (main.ts answers those without loading this module). */
export async function runCommand(
  command: Exclude<Command, { kind: 'help' | 'version' }>,
  env: NodeJS.ProcessEnv,
): Promise<Ending> {
  switch (command.kind) {
    case 'daemon':
      return { code: await daemon(env, command), end: true };
    case 'log':
      return {
        code: (await logCommand({
          since: command.since,
          session: command.session,
          json: command.json,
          env,
          now: new Date(),
          out: (t) => process.stdout.write(t),
        })) as ExitCode,
      };
    case 'status': {
      // Status is most wanted when something is wrong: a broken settings file is reported, not fatal.
      const settings = await loadSettings(command.settingsFile, env).catch((error: unknown) => {
        if (!(error instanceof SsoSyncError)) throw error;
        process.stdout.write(`settings: ${error.message.split('\n').slice(0, 2).join(' ')}\n`);
        return zeroSettings();
      });
      const code = await statusCommand({
        env,
        home: homeDir(env),
        stateDir: stateDir(env),
        sessions: await allSessions(env, settings),
        now: new Date(),
        json: command.json,
        out: (t) => process.stdout.write(t),
      });
      return { code };
    }
    case 'service':
      return {
        code: await serviceCommand(command.action, {
          platform: process.platform,
          env,
          uid: process.getuid?.() ?? 0,
          nodePath: process.execPath,
          cliPath: defaultCliPath(),
          dryRun: command.dryRun,
          run: execFileRunner(env),
          out: (t) => process.stdout.write(t),
        }),
      };
    case 'once':
      // A dry run prints its diff on stdout, so its log lines go to stderr.
      return { code: await sync(syncDeps(env, logger(command.dryRun ? 2 : 1, command.logLevel, env)), command) };
    case 'login': {
      const log = logger(1, command.logLevel, env);
      const settings = await loadSettings(command.settingsFile, env);
      const scan = scanConfig((await readConfig(configPath(env))).text ?? '');
      const { sessions } = selectSessions(
        settings.sessions,
        sessionsFromConfig(scan.outside).sessions,
        command.session ? [command.session] : [],
        settings.source,
        configPath(env),
      );
      if (sessions.length > 1) {
        throw new SsoSyncError(
          'usage',
          `several sso-sessions are configured (${sessions.map((s) => s.name).join(', ')}); choose one: \`sso-sync login --session NAME\`.`,
        );
      }
      const session = sessions[0]!;
      await login(
        {
          home: homeDir(env),
          stateDir: stateDir(env),
          clock: systemClock,
          log,
          oidc: createOidcApi(session.region, env),
          openBrowser: (url) => openBrowser(url, env),
          tell: (text) => process.stderr.write(text),
        },
        {
          session,
          deviceCode: command.deviceCode,
          noBrowser: command.noBrowser,
          timeoutMs: command.timeoutSeconds * 1000,
        },
      );
      return {
        code: await sync(syncDeps(env, log), {
          sessions: [session.name],
          dryRun: false,
          allowMassRemoval: false,
          settingsFile: command.settingsFile,
        }),
      };
    }
  }
}
