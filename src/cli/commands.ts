/**
 * The composition root: wires the real clock, logger, file system and SDK clients to each command. main.ts loads it
 * only once it knows the command is not `--help` or `--version`.
 */
import { noBrowserHere, openBrowser } from '../auth/browser.js';
import { login } from '../auth/login.js';
import { refreshBlocker } from '../auth/refresh-blocker.js';
import { createOidcApi } from '../aws/oidc-api.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { readConfig, writeConfig } from '../config-file/config-file.js';
import { scanConfig } from '../core/config-text.js';
import type { SessionDef } from '../core/types.js';
import { ExitCode, SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { configPath, homeDir, stateDir } from '../paths.js';
import { defaultCliPath, execFileRunner, serviceCommand } from '../service/index.js';
import { loadSettings } from '../settings/load.js';
import { runOnce, type SyncDeps, type SyncRequest } from '../sync/run-once.js';
import { selectSessions, sessionsFromConfig } from '../sync/sessions.js';
import { recordSync } from '../sync/sync-state.js';
import { checkUsable, formatCacheTime, readToken } from '../token/cache.js';
import { runInit } from '../init/init.js';
import { terminalPrompter } from '../init/prompt.js';
import { warnOfTakeover } from '../log/takeover-warning.js';
import { logOwnerLost, logWritersWait } from '../sync/sync-log.js';
import type { Command } from './args.js';
import { progressLineFor, type ProgressLine } from './progress-line.js';
import { logger, readableOn } from './edges.js';
import { recordFailure, syncDeps, type Edge } from './sync-edges.js';

/** The parsed command of a kind. */
type CommandOf<K extends Command['kind']> = Extract<Command, { kind: K }>;

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

import type { Ending } from './ending.js';

/**
 * Runs a parsed command other than help, version, a completion script (main.ts answers those without loading this
 * module) and the commands that only read (`log`, and `status` and the completion's session names:
 * status-commands.ts), on the real clock unless told.
 */
export async function runCommand(
  command: Exclude<
    Command,
    {
      kind: 'help' | 'version' | 'completion' | 'log' | 'status' | 'completion-sessions' | 'credentials' | 'daemon';
    }
  >,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<Ending> {
  const edge: Edge = { env, clock };
  switch (command.kind) {
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
