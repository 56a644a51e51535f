/**
 * The daemon: syncs at start and on the schedule, never two at once; retries a failed sync sooner than the
 * schedule, with backoff; refreshes each session's token on its own timer; watches the settings (reload), the
 * token cache (a new sign-in syncs that session) and the AWS config (a removed or damaged block is logged);
 * SIGTERM/SIGINT stop it after the write in progress, SIGHUP reloads. Idle, it holds only timers for the next
 * run and the next refresh, and file watches: nothing polls. This module wires the parts and handles the signals.
 */
import type { RefusedRefreshes } from '../auth/refused-refreshes.js';
import type { TokenRefresher } from '../auth/token-keeper.js';
import type { Clock } from '../clock/clock.js';
import type { SessionDef } from '../core/types.js';
import { ExitCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/schema.js';
import type { SyncRequest } from '../sync/run-once.js';
import type { SyncSummary } from './sync-summary.js';
import type { CachedToken } from '../token/cache.js';
import type { ConfigFacts } from './config-facts.js';
import { ConfigWatch } from './config-watch.js';
import type { CaughtSignals } from './early-signals.js';
import { Current } from './current.js';
import { KnownTokens, type Refreshed } from './known-tokens.js';
import { logSettingsNotices } from '../settings/settings-notices.js';
import { reloadSettings } from './settings-reload.js';
import { SignInNotices } from './sign-in-notices.js';
import { SignedOut } from './signed-out.js';
import { scheduleTiming } from './schedule-timing.js';
import { runSyncJob } from './sync-job.js';
import { SyncQueue, type ScanKind } from './sync-queue.js';
import { SyncSchedule, type Scheduled } from './sync-schedule.js';
import { TokenCacheWatch } from './token-cache-watch.js';
import { TokenTimers } from './token-timers.js';
import type { Watch, WatchedPath, WatchProblem } from './watch-files.js';
import { Watchers } from './watchers.js';

export type { Refreshed } from './known-tokens.js';
export type { Scheduled } from './sync-schedule.js';

/** What the daemon needs from outside; the composition root gives the real ones, tests may give others. */
export interface DaemonDeps {
  clock: Clock;
  log: Logger;
  home: string;
  configFile: string;
  /** The settings file to watch (it may not exist yet). */
  settingsFile: string;
  loadSettings(): Promise<Settings>;
  /** The sessions a sync of everything would cover now (settings plus the config's sso-sessions). */
  sessions(settings: Settings): Promise<SessionDef[]>;
  /** One sync; `onRefreshed` hears of every token its keeper writes. */
  runSync(request: SyncRequest, onRefreshed: Refreshed): Promise<SyncSummary>;
  /** Records the next scheduled run for `status`. */
  recordNextRun(next: Date | undefined): Promise<void>;
  /** What refreshes the sessions' tokens on these settings; `onRefreshed` hears of every token it writes. */
  createKeeper(settings: Settings, onRefreshed: Refreshed): TokenRefresher;
  /** Runs `task` each time the cron expression comes; `changed` hears when the next time becomes known later. */
  schedule(expression: string, task: () => void, changed: () => void): Scheduled;
  /** This installation's place in the schedule, from 0 to 1: drawn once and kept (see schedule-offset.ts). */
  scheduleOffset(): Promise<number>;
  /** A uniform draw from [0, 1), for the jitter of each scheduled run. */
  random(): number;
  /** Watches files and directories; `onChange` hears of every file that changed in them. */
  watch(paths: WatchedPath[], onChange: (file: string) => void, problem: WatchProblem): Watch;
  /** The session's cached token; undefined when there is none or it cannot be read. */
  readToken(session: string): Promise<CachedToken | undefined>;
  /** What the AWS config holds, read as a sync reads it (in a worker); throws when it cannot be read. */
  inspectConfig(): Promise<ConfigFacts>;
  /**
   * Resolves once every worker that may write a token now (a sync, a refresh) has ended, so that each token it wrote
   * has been told (`onRefreshed`) before the token cache's change is judged: a token sso-sync wrote is not a sign-in.
   */
  tokenWritesSettled(): Promise<void>;
  /** Where SIGTERM, SIGINT and SIGHUP come from. */
  signals: CaughtSignals;
  /** Desktop notification (off unless the settings turn it on). */
  notify(title: string, text: string): void;
  /**
   * The refresh tokens the service refused, shared with the keepers `createKeeper` and `runSync` make, so that none
   * is sent again; the token timers read it too.
   */
  refused: RefusedRefreshes;
}

/** Runs the daemon until a stop signal; resolves with the exit status. */
export async function runDaemon(deps: DaemonDeps): Promise<ExitCode> {
  const known = new KnownTokens();
  const settings = await deps.loadSettings();
  const keeper = deps.createKeeper(settings, known.refreshed);
  const current = new Current(settings, await deps.sessions(settings), keeper);
  const daemon = new Daemon(deps, known, current, await deps.scheduleOffset());
  // SIGHUP is a person asking: the whole truth now, every account's roles listed.
  const stopped = stopSignal(
    deps.signals,
    () => daemon.halt(),
    () => void daemon.reload('SIGHUP', 'full'),
  );
  await daemon.start();
  const signal = await stopped;
  await daemon.shutDown(signal);
  return ExitCode.ok;
}

/** Resolves with the first SIGTERM or SIGINT (calling `halt` at once); SIGHUP calls `hup`. */
function stopSignal(signals: DaemonDeps['signals'], halt: () => void, hup: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      halt();
      resolve(signal);
    };
    signals.on('SIGTERM', stop);
    signals.on('SIGINT', stop);
    signals.on('SIGHUP', hup);
  });
}

/** The daemon's parts, wired to each other. */
class Daemon {
  private readonly signedOut: SignedOut;
  private readonly tokens: TokenTimers;
  private readonly cache: TokenCacheWatch;
  private readonly config: ConfigWatch;
  private readonly schedule: SyncSchedule;
  private readonly queue: SyncQueue;
  private readonly watchers: Watchers;
  /** Aborted at a stop: a sync that has not begun writing is cancelled. */
  private readonly controller = new AbortController();
  /** The reload running now, if any: the next one waits for it. */
  private reloading = Promise.resolve();

  constructor(
    private readonly deps: DaemonDeps,
    private readonly known: KnownTokens,
    private readonly current: Current,
    /** This installation's place in the schedule. */
    private readonly offset: number,
  ) {
    const { clock, log } = deps;
    const readToken = (session: string) => deps.readToken(session);
    const notices = new SignInNotices((title, text) => deps.notify(title, text));
    this.signedOut = new SignedOut({ readToken, notices });
    this.tokens = new TokenTimers({ clock, log, current, readToken, signedOut: this.signedOut, refused: deps.refused });
    this.cache = new TokenCacheWatch({
      log,
      home: deps.home,
      current,
      known,
      readToken,
      signedIn: (session) => this.signedIn(session),
      writesSettled: () => deps.tokenWritesSettled(),
    });
    this.config = new ConfigWatch({
      log,
      configFile: deps.configFile,
      inspectConfig: () => deps.inspectConfig(),
      names: () => current.names(),
      findNewSessions: () => this.findNewSessions(),
    });
    this.schedule = new SyncSchedule({ ...deps, fire: () => this.queue.request('schedule') });
    this.queue = new SyncQueue({
      clock,
      log,
      run: (job) => runSyncJob(this.syncJobDeps(), job),
      nextRun: () => this.schedule.nextRun(),
    });
    this.watchers = new Watchers(deps, {
      config: () => this.config.changed(),
      settings: () => this.reload('the settings file changed'),
      token: (file) => this.cache.changed(file),
    });
  }

  /** Logs the start, sets the schedule and runs the first sync. */
  async start(): Promise<void> {
    // The tokens found at start are known; any other that appears later is a sign-in (or another tool's refresh).
    await this.cache.rememberAll();
    const { settings } = this.current;
    const names = this.current.names();
    const timing = scheduleTiming(settings, this.offset);
    logSettingsNotices(this.deps.log, settings);
    this.deps.log.info(
      {
        event: 'daemon.started',
        pid: process.pid,
        schedule: settings.schedule,
        runs: timing.description,
        sessions: names,
      },
      `sso-sync daemon started: ${names.join(', ') || 'no sso-session yet'}; schedule ${timing.description}`,
    );
    this.schedule.set(timing);
    // The role lists kept from before make the start sync a scheduled cycle's (a full scan where there are none).
    this.queue.request('start');
  }

  /**
   * Reloads the settings (SIGHUP, or the settings file changed); the sync after it scans as `scan` says. Reloads run
   * one after another: a read of the file that takes a while must not finish after a later one and bring back what
   * the file said before.
   */
  reload(why: string, scan: ScanKind = 'incremental'): Promise<void> {
    this.reloading = this.reloading.then(() => this.reloadNow(why, scan));
    return this.reloading;
  }

  private reloadNow(why: string, scan: ScanKind): Promise<void> {
    return reloadSettings(
      {
        ...this.deps,
        current: this.current,
        createKeeper: (settings) => this.deps.createKeeper(settings, this.known.refreshed),
        reschedule: (settings) => this.schedule.set(scheduleTiming(settings, this.offset)),
        requestSync: (reason) => {
          // Valid new settings: a session's definition may have changed (its start URL, its region), so each one
          // waiting for a sign-in is tried again.
          this.signedOut.endAll();
          this.queue.request(reason, undefined, scan);
        },
      },
      why,
    );
  }

  /** At the stop signal: no new sync, refresh or change is started from now on. */
  halt(): void {
    this.queue.stop();
    this.tokens.stop();
    this.watchers.halt();
  }

  /**
   * Stops: a sync that has not begun writing is cancelled, a write in progress and a refresh in flight finish.
   * A write takes milliseconds and a cancelled sync stops before writing, so waiting longer than a few seconds
   * gains nothing.
   */
  async shutDown(signal: NodeJS.Signals): Promise<void> {
    const { log, clock } = this.deps;
    log.info({ event: 'daemon.stopping', signal }, `${signal}: stopping after the sync in progress, if any`);
    this.schedule.stop();
    await this.watchers.close();
    this.controller.abort();
    let timer: { cancel(): void } | undefined;
    const enough = new Promise<void>((resolve) => (timer = clock.setTimer(5_000, resolve)));
    await Promise.race([Promise.all([this.queue.idle(), this.tokens.inFlight()]), enough]);
    timer?.cancel();
    log.info({ event: 'daemon.stopped' }, 'sso-sync daemon stopped');
  }

  private syncJobDeps() {
    return {
      ...this.deps,
      current: this.current,
      signal: this.controller.signal,
      refreshed: this.known.refreshed,
      signedOut: this.signedOut,
      readToken: (session: string) => this.deps.readToken(session),
      synced: (configSha256: string) => this.config.synced(configSha256),
      armTokens: () => this.tokens.arm(),
      recordNextRun: () => this.schedule.record(),
    };
  }

  /** A sign-in (a new token in the cache): what failed before starts afresh, and the session is synced, fully. */
  private signedIn(session: string): void {
    this.tokens.newToken(session);
    this.signedOut.end(session);
    this.queue.request('sign-in', session, 'full');
  }

  /** The config changed: a new `[sso-session]` in it is synced at once. */
  private async findNewSessions(): Promise<void> {
    const known = await this.deps.sessions(this.current.settings);
    if (known.some((s) => !this.current.names().includes(s.name))) {
      this.current.sessions = known;
      this.queue.request('new sso-session in the AWS config');
    }
  }
}
