/**
 * `sso-sync` (the daemon) at the edge: its long-lived process holds the schedule, the file watches and the token
 * timers, and nothing else that is heavy. Each sync, token refresh, read of the settings and reckoning of the
 * schedule's next time runs in a short-lived worker process (worker.ts), so that the AWS SDK, zod, YAML, node-cron
 * and pino never load here and the memory a sync of many profiles takes is given back when it ends. Its own log
 * lines are JSON lines written without pino (log/log-lines.ts), or pino's readable lines on a terminal.
 */
import { execFile } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { RefusedRefreshes } from '../auth/refused-refreshes.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { cronTimes } from '../daemon/cron-times.js';
import { runDaemon, type DaemonDeps, type Refreshed } from '../daemon/daemon.js';
import { catchSignals, type CaughtSignals } from '../daemon/early-signals.js';
import { scheduleOffset } from '../daemon/schedule-offset.js';
import { claimDaemon } from '../daemon/single-instance.js';
import { watchFiles } from '../daemon/watch-files.js';
import { rebuildSummary, type WorkerJob } from '../daemon/worker-protocol.js';
import type { ExitCode } from '../errors.js';
import { defaultLogFile } from '../log/log-file.js';
import { jsonLines, type Logger } from '../log/log-lines.js';
import { configPath, homeDir, settingsPath, stateDir } from '../paths.js';
import { recordNextRun } from '../sync/sync-state.js';
import { readToken } from '../token/cache.js';
import { checkLogLevel, readCommandLine, type Command } from './args.js';
import { collectGarbage, idleTiers } from './daemon-tiers.js';
import { endWith } from './ending.js';
import { packageVersion } from './package-version.js';
import { readableOn } from './readable-on.js';
import { runWorker, type JobOf } from './worker-process.js';

/** The daemon's command line. */
type DaemonCommand = Extract<Command, { kind: 'daemon' }>;

/** The daemon's log level: the option, else SSO_SYNC_LOG_LEVEL, else info. Its workers log at the same one. */
function logLevel(command: DaemonCommand, env: NodeJS.ProcessEnv): string {
  return command.logLevel ?? checkLogLevel(env.SSO_SYNC_LOG_LEVEL || undefined, 'SSO_SYNC_LOG_LEVEL') ?? 'info';
}

/** JSON lines on stdout and in the log file; on a terminal, pino's readable lines (loaded only then). */
async function daemonLogger(level: string, env: NodeJS.ProcessEnv, clock: Clock): Promise<Logger> {
  const file = defaultLogFile(env);
  if (!readableOn(1)) return jsonLines({ level, fd: 1, clock, file });
  const { createLogger } = await import('./terminal-log.js');
  return createLogger({ fd: 1, human: true, color: !env.NO_COLOR, level, file, clock });
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

/** The daemon's edges, its work done by workers. */
function daemonDeps(
  command: DaemonCommand,
  env: NodeJS.ProcessEnv,
  clock: Clock,
  log: Logger,
  level: string,
): Omit<DaemonDeps, 'signals'> {
  const state = stateDir(env);
  const home = homeDir(env);
  let notify = false;
  // The refresh tokens the service refused: each worker starts with them and tells of any refused anew.
  const refused = new RefusedRefreshes();
  // The workers that may write a token (a sync, a refresh), while they run.
  const writers = new Set<Promise<unknown>>();
  const writing = <T>(work: Promise<T>): Promise<T> => {
    writers.add(work);
    void work.catch(() => undefined).finally(() => writers.delete(work));
    return work;
  };
  const base = { version: packageVersion(), logLevel: level, settingsFile: command.settingsFile };
  /** Runs a job; the tokens its worker writes are told to `onRefreshed`. */
  const work = <K extends WorkerJob['kind']>(job: JobOf<K>, onRefreshed?: Refreshed, signal?: AbortSignal) =>
    runWorker<K>(job, {
      env,
      signal,
      heard: (message) => {
        if (message.kind === 'refused') refused.addHash(message.refreshTokenHash);
        else onRefreshed?.(message.session, message.accessTokenHash);
      },
    }).finally(collectGarbage);
  return {
    clock,
    refused,
    log,
    home,
    configFile: configPath(env),
    settingsFile: settingsPath(command.settingsFile, env).file,
    loadSettings: async () => {
      const settings = await work<'settings'>({ kind: 'settings', ...base });
      notify = settings.notify;
      return settings;
    },
    sessions: ({ sessions, source }) => work<'sessions'>({ kind: 'sessions', ...base, settings: { sessions, source } }),
    runSync: async ({ signal, ...request }, onRefreshed) => {
      const job = { kind: 'sync' as const, ...base, request, refused: refused.hashes() };
      try {
        return rebuildSummary(await writing(work<'sync'>(job, onRefreshed, signal)));
      } catch (error) {
        // The daemon is stopping: a worker that ended without an answer (the stop signal reached it first, or it
        // ran out of time) was cancelled with it, not a failure.
        if (signal?.aborted) return { configSha256: undefined, cancelled: true, changed: 0, failures: [] };
        throw error;
      }
    },
    recordNextRun: (next) => recordNextRun(state, next, new Date(clock.now()), { log, clock }),
    createKeeper: (settings, onRefreshed) => ({
      refresh: async (session) => {
        const job = { kind: 'refresh' as const, ...base, session, refreshWindowMs: settings.refreshWindowMs };
        await writing(work<'refresh'>({ ...job, refused: refused.hashes() }, onRefreshed));
        return readToken(home, session.name);
      },
    }),
    schedule: (expression, task, changed) => {
      const nextTime = (e: string) => work<'next-run'>({ kind: 'next-run', ...base, expression: e });
      return cronTimes({ clock, log, nextTime }, expression, task, changed);
    },
    scheduleOffset: () => scheduleOffset(state, log),
    random: Math.random,
    watch: watchFiles,
    readToken: (session) => readToken(home, session).catch(() => undefined),
    tokenWritesSettled: async () => {
      await Promise.allSettled([...writers]);
    },
    inspectConfig: () => work<'config'>({ kind: 'config', ...base, configFile: configPath(env) }),
    notify: notifier(log, () => notify),
  };
}

/** `sso-sync`: the daemon, once it has claimed its place as the user's only one. */
export async function runDaemonCommand(
  command: DaemonCommand,
  env: NodeJS.ProcessEnv,
  signals: CaughtSignals,
  clock: Clock = systemClock,
): Promise<ExitCode> {
  idleTiers(setFlagsFromString); // done already in main.ts when it recognised the command line
  const level = logLevel(command, env);
  const log = await daemonLogger(level, env, clock);
  const claim = await claimDaemon(stateDir(env), new Date(clock.now()), log);
  try {
    return await runDaemon({ ...daemonDeps(command, env, clock, log, level), signals });
  } finally {
    await claim.release();
  }
}

/**
 * The daemon, started by main.ts when it recognised the daemon's command line: read and run here, without the code of
 * the other commands (cli.ts and its modules), which its process would hold for as long as it runs (0.6 MB,
 * bench/idle.ts). The command line is parsed as cli.ts parses it, a mistake in it said the same way.
 */
export function daemonMain(argv: readonly string[]): void {
  // Caught first: a SIGTERM while the daemon starts is a clean stop (exit 0), not Node's default end by the signal.
  const signals = catchSignals(process);
  const run = async () => {
    const command = readCommandLine(argv);
    if (command.kind !== 'daemon')
      throw new Error(`main.ts took ${JSON.stringify(argv)} for the daemon's command line`);
    return { code: await runDaemonCommand(command, process.env, signals), end: true };
  };
  endWith(run());
}
