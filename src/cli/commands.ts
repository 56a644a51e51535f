/**
 * The composition root: wires the real clock, logger, file system and SDK clients to each command. main.ts loads it
 * only once it knows the command is not `--help` or `--version`.
 */
import { execFile } from 'node:child_process';
import { noBrowserHere, openBrowser } from '../auth/browser.js';
import { login } from '../auth/login.js';
import { RefusedRefreshes } from '../auth/refused-refreshes.js';
import { refreshBlocker } from '../auth/token-keeper.js';
import { createOidcApi, preloadOidcSdk } from '../aws/oidc-api.js';
import { createSsoApi } from '../aws/sso-api.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { readConfig, writeConfig } from '../config-file/config-file.js';
import { scanConfig } from '../core/config-text.js';
import type { SessionDef } from '../core/types.js';
import { runDaemon, type DaemonDeps, type Refreshed } from '../daemon/daemon.js';
import { catchSignals, type CaughtSignals } from '../daemon/early-signals.js';
import { scheduleOffset } from '../daemon/schedule-offset.js';
import { claimDaemon } from '../daemon/single-instance.js';
import { ExitCode, SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { configPath, homeDir, settingsPath, stateDir } from '../paths.js';
import { defaultCliPath, execFileRunner, serviceCommand } from '../service/index.js';
import { loadSettings } from '../settings/load.js';
import { zeroSettings } from '../settings/schema.js';
import { runOnce, type SyncDeps, type SyncRequest } from '../sync/run-once.js';
import { allSessions } from '../sync/configured-sessions.js';
import { selectSessions, sessionsFromConfig } from '../sync/sessions.js';
import { recordNextRun, recordRunFailure, recordSync } from '../sync/sync-state.js';
import { checkUsable, formatCacheTime, readToken } from '../token/cache.js';
import { runInit } from '../init/init.js';
import { terminalPrompter } from '../init/prompt.js';
import { warnOfTakeover } from '../log/takeover-warning.js';
import { logOwnerLost, logWritersWait } from '../sync/sync-log.js';
import type { Command } from './args.js';
import { progressLineFor, type ProgressLine } from './progress-line.js';
import { keeper, logger, readableOn } from './edges.js';

/** What every command runs against: the process's environment and the clock. */
interface Edge {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** The daemon's signals, caught by main.ts before this module loaded (see daemon/early-signals.ts). */
  signals?: CaughtSignals | undefined;
}

/** The parsed command of a kind. */
type CommandOf<K extends Command['kind']> = Extract<Command, { kind: K }>;

function syncDeps(edge: Edge, log: Logger, onRefreshed?: Refreshed, refused?: RefusedRefreshes): SyncDeps {
  return {
    env: edge.env,
    clock: edge.clock,
    log,
    createApi: (region, options) => createSsoApi(region, edge.clock, options),
    createKeeper: (refreshWindowMs) => keeper(edge, log, refreshWindowMs, onRefreshed, refused),
    out: (t) => process.stdout.write(t),
  };
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

/** The schedule and the file watches: loaded by the daemon only, the one command that uses them. */
async function daemonEdges(): Promise<Pick<DaemonDeps, 'schedule' | 'watch'>> {
  const [{ default: cron }, { watchFiles }] = await Promise.all([
    import('node-cron'),
    import('../daemon/watch-files.js'),
    // Loaded now rather than at the first refresh: see preloadOidcSdk.
    preloadOidcSdk(),
  ]);
  return {
    // node-cron keeps its own timer.
    schedule: (expression, task) => {
      const job = cron.schedule(expression, task);
      return { stop: () => void job.stop(), nextRun: () => job.getNextRun() ?? undefined };
    },
    watch: watchFiles,
  };
}

/** `sso-sync`: the daemon, once it has claimed its place as the user's only one. */
async function daemon(edge: Edge, command: CommandOf<'daemon'>): Promise<ExitCode> {
  const log = logger(1, command.logLevel, edge.env);
  const claim = await claimDaemon(stateDir(edge.env), new Date(edge.clock.now()), log);
  try {
    return await runDaemon({ ...daemonDeps(edge, command, log), ...(await daemonEdges()) });
  } finally {
    await claim.release();
  }
}

/** The daemon's real edges, but for the schedule and the watches (daemonEdges). */
function daemonDeps(edge: Edge, command: CommandOf<'daemon'>, log: Logger): Omit<DaemonDeps, 'schedule' | 'watch'> {
  const { env, clock } = edge;
  const state = stateDir(env);
  const home = homeDir(env);
  let notify = false;
  // The refresh tokens the service refused, for every keeper of this daemon: none is sent again.
  const refused = new RefusedRefreshes();
  return {
    clock,
    refused,
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
      try {
        const report = await runOnce(syncDeps(edge, log, onRefreshed, refused), {
          ...request,
          settingsFile: command.settingsFile,
        });
        if (!report.cancelled) await recordSync(state, report, new Date(clock.now()), { log, clock });
        return report;
      } catch (error) {
        await recordFailure(edge, request, error, log);
        throw error;
      }
    },
    recordNextRun: (next) => recordNextRun(state, next, new Date(clock.now()), { log, clock }),
    createKeeper: (settings, onRefreshed) => keeper(edge, log, settings.refreshWindowMs, onRefreshed, refused),
    scheduleOffset: () => scheduleOffset(state, log),
    random: Math.random,
    readToken: (session) => readToken(home, session).catch(() => undefined),
    readConfig: async () => (await readConfig(configPath(env), { clock })).text,
    signals: edge.signals ?? catchSignals(process),
    notify: notifier(log, () => notify),
  };
}

/** Records a run that failed as a whole (settings, a refused file) against every session it was to sync. */
async function recordFailure({ env, clock }: Edge, request: SyncRequest, error: unknown, log: Logger): Promise<void> {
  if (!(error instanceof SsoSyncError)) return;
  const settings = request.settings ?? (await loadSettings(request.settingsFile, env).catch(() => zeroSettings()));
  const sessions =
    request.sessions.length > 0
      ? request.sessions
      : (await allSessions(env, settings).catch(() => [])).map((s) => s.name);
  await recordRunFailure(stateDir(env), sessions, error, new Date(clock.now()), { log, clock }).catch(() => undefined);
}

/**
 * One sync by hand (`--once`, or after `login`), recorded for `status`. A session's failure is said once: the log
 * line says it where the log is read on a terminal; where the log is JSON (a pipe, a file), one plain line on stderr.
 */
async function sync(
  edge: Edge,
  deps: SyncDeps,
  request: SyncRequest,
  logFd: 1 | 2 = 1,
  progress?: ProgressLine,
): Promise<ExitCode> {
  const report = await runOnce({ ...deps, onProgress: progress?.onProgress }, request)
    .catch(async (error: unknown) => {
      if (!request.dryRun) await recordFailure(edge, request, error, deps.log);
      throw error;
    })
    .finally(() => progress?.end());
  const options = { log: deps.log, clock: edge.clock };
  // A dry run (or --print) is not a sync: `status` keeps saying when the config was last synced.
  if (!request.dryRun)
    await recordSync(stateDir(edge.env), report, new Date(edge.clock.now()), options).catch(() => undefined);
  if (!readableOn(logFd)) for (const f of report.failures) process.stderr.write(`sso-sync: ${f.error.message}\n`);
  const held = report.outcomes.filter((o) => o.held).map((o) => o.session);
  if (held.length > 0) {
    process.stderr.write(
      `sso-sync: the update for ${held.join(', ')} was held because it would remove too many profiles; ` +
        'see the log above, and run with --allow-mass-removal if that is intended.\n',
    );
  }
  return report.exitCode;
}

/**
 * `sso-sync --once`: a dry run prints its diff on stdout and `--print` the blocks, so their log lines go to stderr.
 * A print is a dry run that shows the blocks instead of the diff: nothing is written, no change is logged as made.
 * On a terminal, a long sync shows its progress on stderr.
 */
function once(edge: Edge, command: CommandOf<'once'>): Promise<ExitCode> {
  const fd = command.dryRun || command.print ? 2 : 1;
  const request = { ...command, dryRun: command.dryRun || command.print };
  const progress = progressLineFor(process.stderr, edge.env, edge.clock);
  return sync(edge, syncDeps(edge, logger(fd, command.logLevel, edge.env, progress)), request, fd, progress);
}

/** `sso-sync service install|uninstall|status`. */
function service({ env }: Edge, command: CommandOf<'service'>): Promise<ExitCode> {
  return serviceCommand(command.action, {
    platform: process.platform,
    env,
    uid: process.getuid?.() ?? 0,
    nodePath: process.execPath,
    nodeVersion: process.versions.node,
    cliPath: defaultCliPath(),
    dryRun: command.dryRun,
    run: execFileRunner(env),
    out: (t) => process.stdout.write(t),
  });
}

/** The one session `sso-sync login` signs in to: the one asked for, or the only one configured. */
async function loginSession({ env, clock }: Edge, command: CommandOf<'login'>): Promise<SessionDef> {
  const settings = await loadSettings(command.settingsFile, env);
  const scan = scanConfig((await readConfig(configPath(env), { clock })).text ?? '');
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
      `several sso-sessions are configured (${sessions.map((s) => s.name).join(', ')}); ` +
        'choose one: `sso-sync login --session NAME`.',
    );
  }
  const [session] = sessions;
  if (!session) throw new Error('selectSessions returned no session');
  return session;
}

/** How `login` and `init` sign in. */
interface SignInWay {
  deviceCode: boolean;
  noBrowser: boolean;
  timeoutSeconds: number;
}

/** A sign-in to one session, its token written into the AWS CLI's cache. */
async function signInTo({ env, clock }: Edge, session: SessionDef, way: SignInWay, log: Logger): Promise<void> {
  await login(
    {
      home: homeDir(env),
      stateDir: stateDir(env),
      clock,
      log,
      oidc: createOidcApi(session.region, env),
      openBrowser: (url) => openBrowser(url, env),
      noBrowserHere: noBrowserHere(env, process.platform),
      tell: (text) => process.stderr.write(text),
    },
    {
      session,
      deviceCode: way.deviceCode,
      noBrowser: way.noBrowser,
      timeoutMs: way.timeoutSeconds * 1000,
    },
  );
}

/** `sso-sync login`: a sign-in, then one sync of that session. */
async function signIn(edge: Edge, command: CommandOf<'login'>): Promise<ExitCode> {
  // The progress line of the sync after the sign-in (it appears only once that sync has taken a second).
  const progress = progressLineFor(process.stderr, edge.env, edge.clock);
  const log = logger(1, command.logLevel, edge.env, progress);
  const session = await loginSession(edge, command);
  await signInTo(edge, session, command, log);
  return syncSession(edge, log, session, command.settingsFile, progress);
}

/** The sync of the one session just signed in to (by `login` or `init`), its log on stdout. */
function syncSession(
  edge: Edge,
  log: Logger,
  session: SessionDef,
  settingsFile: string | undefined,
  progress: ProgressLine | undefined,
): Promise<ExitCode> {
  const request = { sessions: [session.name], dryRun: false, allowMassRemoval: false, settingsFile };
  return sync(edge, syncDeps(edge, log), request, 1, progress);
}

/** A token good for a while (refreshable, or valid for another hour): until when, in words; else undefined. */
async function signedInUntil({ env, clock }: Edge, session: SessionDef): Promise<string | undefined> {
  const now = new Date(clock.now());
  const token = await readToken(homeDir(env), session.name).catch(() => undefined);
  if (!token) return undefined;
  try {
    checkUsable(token, session, now);
  } catch {
    return undefined;
  }
  const expires = `the token is valid until ${formatCacheTime(token.expiresAt)}`;
  // Refreshable as the token keeper judges it (a client and a registration still good, not just a refresh token).
  if (refreshBlocker(token, now) === undefined) return `${expires} and is refreshed before then`;
  return token.expiresAt.getTime() - now.getTime() > 3_600_000 ? expires : undefined;
}

/** `sso-sync init`: its questions on the terminal (stderr), the file through the atomic writer, login, a sync. */
async function init(edge: Edge, command: CommandOf<'init'>): Promise<ExitCode> {
  const { env, clock } = edge;
  // The progress line of the first sync (it appears only once that sync has taken a second).
  const progress = progressLineFor(process.stderr, env, clock);
  const log = logger(1, command.logLevel, env, progress);
  const file = configPath(env);
  const interactive = (process.stdin as { isTTY?: boolean }).isTTY === true;
  return runInit(
    {
      configFile: file,
      prompter: interactive ? terminalPrompter(process.stdin, process.stderr) : undefined,
      say: (text) => process.stderr.write(text),
      readConfig: () => readConfig(file, { clock }),
      settingsSessions: async () => (await loadSettings(command.settingsFile, env)).sessions,
      write: async (snapshot, rewrite) =>
        (
          await writeConfig(snapshot, rewrite, {
            clock,
            onLockTakeover: warnOfTakeover(log),
            onWritersWait: (writers, f) => logWritersWait(log, f, writers),
            onOwnerLost: (f, owner) => logOwnerLost(log, f, owner),
          })
        ).written,
      signedInUntil: (session) => signedInUntil(edge, session),
      signIn: (session) => signInTo(edge, session, command, log),
      sync: (session) => syncSession(edge, log, session, command.settingsFile, progress),
      installService: () => service(edge, { kind: 'service', action: 'install', dryRun: false }),
    },
    command,
  );
}

/** How the process ends: with this code, and at once (`end`) when handles a finished daemon left may keep it up. */
export interface Ending {
  code: ExitCode;
  end?: boolean;
}

/**
 * Runs a parsed command other than help, version, a completion script (main.ts answers those without loading this
 * module) and the commands that only read (`log`, and `status` and the completion's session names:
 * status-commands.ts), on the real clock unless told.
 */
export async function runCommand(
  command: Exclude<
    Command,
    { kind: 'help' | 'version' | 'completion' | 'log' | 'status' | 'completion-sessions' | 'credentials' }
  >,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
  signals?: CaughtSignals,
): Promise<Ending> {
  const edge: Edge = { env, clock, signals };
  switch (command.kind) {
    case 'daemon':
      return { code: await daemon(edge, command), end: true };
    case 'service':
      return { code: await service(edge, command) };
    case 'once':
      return { code: await once(edge, command) };
    case 'login':
      return { code: await signIn(edge, command) };
    case 'init':
      return { code: await init(edge, command) };
  }
}
