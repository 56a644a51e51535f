/**
 * The daemon: syncs at start and on the schedule, never two at once; retries a failed sync sooner than the
 * schedule, with backoff; refreshes each session's token on its own timer; watches the settings (reload), the
 * token cache (a new sign-in syncs that session) and the AWS config (a removed or damaged block is logged);
 * SIGTERM/SIGINT stop it after the write in progress, SIGHUP reloads. Idle, it holds only timers for the next
 * run and the next refresh, and file watches: nothing polls.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import { refreshBlocker, type TokenKeeper } from '../auth/token-keeper.js';
import type { Clock } from '../clock/clock.js';
import { readConfig } from '../config-file/config-file.js';
import type { SessionDef } from '../core/types.js';
import { scanConfig } from '../core/config-text.js';
import { errorMessage, errorStack, ExitCode, SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/schema.js';
import type { SyncReport, SyncRequest } from '../sync/run-once.js';
import { formatCacheTime, readToken, type CachedToken } from '../token/cache.js';
import { tokenCachePath } from '../paths.js';

/** Told of a token sso-sync itself wrote. */
export type Refreshed = (session: string, token: CachedToken) => void;

/** A scheduled job, as node-cron gives it. */
export interface Scheduled {
  stop(): void;
  nextRun(): Date | undefined;
}

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
  runSync(request: SyncRequest, onRefreshed: Refreshed): Promise<SyncReport>;
  /** Records the next scheduled run for `status`. */
  recordNextRun(next: Date | undefined): Promise<void>;
  createKeeper(settings: Settings, onRefreshed: Refreshed): TokenKeeper;
  schedule(expression: string, task: () => void): Scheduled;
  watch(paths: string[], onChange: (file: string) => void): FSWatcher;
  /** Where SIGTERM, SIGINT and SIGHUP come from. */
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
  /** Desktop notification (off unless the settings turn it on). */
  notify(title: string, text: string): void;
  /** The first retry delay after a failed sync (default 30 s); tests shorten it. */
  retryBaseMs?: number;
}

/** Retry delays after a failed sync: 30 s, doubling, at most 15 minutes (never later than the next scheduled run). */
export function backoffMs(failures: number, baseMs = 30_000): number {
  return Math.min(15 * 60_000, baseMs * 2 ** Math.max(0, failures - 1));
}

// Timers cannot wait longer than about 24.8 days.
const maxTimerMs = 2 ** 31 - 1;
const debounceMs = 300;

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Runs the daemon until a stop signal; resolves with the exit status. */
export async function runDaemon(deps: DaemonDeps): Promise<ExitCode> {
  const { log, clock } = deps;
  const knownTokens = new Map<string, string>(); // session -> sha256 of the access token sso-sync last saw
  const refreshed: Refreshed = (session, token) => knownTokens.set(session, sha(token.accessToken));
  let settings = await deps.loadSettings();
  let keeper = deps.createKeeper(settings, refreshed);
  let sessions = await deps.sessions(settings);
  const names = () => sessions.map((s) => s.name);
  let task: Scheduled | undefined;
  let stopping = false;
  let running: Promise<void> | undefined;
  let pending: { all: boolean; sessions: Set<string>; reason: string } | undefined;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const tokenTimers = new Map<string, NodeJS.Timeout>();
  const refreshFailures = new Map<string, number>(); // session -> refreshes in a row that did not succeed
  const signInNeeded = new Set<string>(); // sessions whose refresh was refused: only a sign-in helps
  const notifiedSignIn = new Set<string>(); // sessions whose person was told, until a new token appears
  const refreshing = new Set<Promise<void>>(); // timer refreshes in flight: a stop waits for them
  let configSeen: string | undefined; // sha256 of the AWS config as the last sync left it
  const controller = new AbortController();

  const later = (ms: number, fn: () => void) => setTimeout(fn, Math.max(0, Math.min(ms, maxTimerMs)));

  /** Tells the person once per session that sign-in is required, until a new token appears. */
  function signInRequired(name: string): void {
    if (notifiedSignIn.has(name)) return;
    notifiedSignIn.add(name);
    deps.notify('sso-sync: sign-in required', `sso-session ${name}: run sso-sync login --session ${name}`);
  }

  async function watchTokens(): Promise<void> {
    for (const t of tokenTimers.values()) clearTimeout(t);
    tokenTimers.clear();
    for (const { name } of sessions) {
      const token = await readToken(deps.home, name).catch(() => undefined);
      if (!token) continue;
      // Not recorded as known here: a sign-in that lands while a sync runs must still be seen as new.
      const now = clock.now();
      const left = token.expiresAt.getTime() - now;
      const blocker = refreshBlocker(token, new Date(now));
      if (blocker || signInNeeded.has(name)) {
        // Cannot be refreshed: say so once, when it expires (not again if it already has: the sync said so), then
        // wait for a sign-in, which the cache watcher sees.
        if (left > 0) {
          tokenTimers.set(
            name,
            later(left, () => {
              if (token.expiresAt.getTime() > clock.now()) return void watchTokens(); // a capped timer woke early
              log.error(
                { event: 'login.required', session: name },
                `the token for sso-session ${name} expired${blocker ? ` and ${blocker}` : ' and cannot be refreshed'}; run \`sso-sync login --session ${name}\``,
              );
              signInRequired(name);
            }),
          );
        }
        continue;
      }
      // Due when the refresh window opens; never sooner than half the life left (a window as long as the token's
      // life would otherwise refresh again at once), and after failures, not before the backoff.
      let due = Math.max(left - settings.refreshWindowMs, left / 2, 0);
      const failed = refreshFailures.get(name) ?? 0;
      if (failed > 0) due = Math.max(due, backoffMs(failed, deps.retryBaseMs));
      tokenTimers.set(
        name,
        later(due, () => void refreshToken(name)),
      );
    }
  }

  async function refreshToken(name: string): Promise<void> {
    if (stopping) return;
    const session = sessions.find((s) => s.name === name);
    if (!session) return;
    const work = (async () => {
      const before = await readToken(deps.home, name).catch(() => undefined);
      // A timer capped at ~24.8 days wakes before the window opens: nothing to do yet (watchTokens re-arms it).
      if (
        before &&
        !refreshFailures.has(name) &&
        before.expiresAt.getTime() - settings.refreshWindowMs - clock.now() > 1000
      )
        return;
      try {
        const token = await keeper.refresh(session);
        if (before && token.accessToken === before.accessToken) throw new Error('the token was not refreshed');
        refreshFailures.delete(name);
      } catch (error) {
        const e = error instanceof SsoSyncError ? error : undefined;
        refreshFailures.set(name, (refreshFailures.get(name) ?? 0) + 1);
        if (e?.code === 'sign-in.required') {
          signInNeeded.add(name);
          log.error({ event: 'login.required', session: name }, e.message);
          signInRequired(name);
        } else {
          log.warn(
            { event: 'token.refresh_failed', session: name, failures: refreshFailures.get(name) },
            `the token for ${name} was not refreshed (${e?.message ?? errorMessage(error)}); trying again in ${Math.round(backoffMs(refreshFailures.get(name)!, deps.retryBaseMs) / 1000)} s`,
          );
        }
      }
    })();
    refreshing.add(work);
    await work.finally(() => refreshing.delete(work));
    await watchTokens();
  }

  function reschedule(): void {
    task?.stop();
    task = deps.schedule(settings.schedule, () => requestSync('schedule'));
    void deps.recordNextRun(task.nextRun()).catch(() => undefined);
  }

  async function syncNow(job: NonNullable<typeof pending>): Promise<void> {
    clearTimeout(retryTimer);
    // The daemon's own validated settings: an invalid edit on disk does not reach the sync.
    const request: SyncRequest = {
      sessions: job.all ? [] : [...job.sessions].filter((s) => names().includes(s)),
      dryRun: false,
      allowMassRemoval: false,
      settingsFile: undefined,
      settings,
      signal: controller.signal,
    };
    if (!job.all && request.sessions.length === 0) return;
    log.debug(
      { event: 'sync.started', reason: job.reason, sessions: job.all ? 'all' : request.sessions },
      `sync (${job.reason})`,
    );
    let retryable = false;
    try {
      const report = await deps.runSync(request, refreshed);
      // What the file holds as this sync left it: a change after this is someone else's.
      if (report.configText !== undefined) configSeen = sha(report.configText);
      if (report.cancelled) return;
      retryable = report.failures.some((f) => f.error.code === 'aws.failed');
      const changed = report.outcomes.reduce((n, o) => n + o.added.length + o.removed.length, 0);
      if (changed > 0)
        deps.notify('sso-sync: profiles changed', `${changed} profile${changed === 1 ? '' : 's'} added or removed`);
      for (const f of report.failures) if (f.error.code === 'sign-in.required') signInRequired(f.session);
    } catch (error) {
      // A whole run failed (settings, a refused file): runOnce did not log it, so the daemon does.
      const e = error instanceof SsoSyncError ? error : undefined;
      log.error(
        { event: 'sync.failed', code: e?.code ?? 'internal' },
        e?.message ?? `sync failed: ${errorStack(error)}`,
      );
      retryable = e === undefined || e.retryable;
    }
    await watchTokens();
    if (retryable && !stopping) {
      failures++;
      const delay = backoffMs(failures, deps.retryBaseMs);
      const next = task?.nextRun();
      if (next === undefined || next.getTime() - clock.now() > delay) {
        log.info(
          { event: 'sync.retry_scheduled', inMs: delay, failures },
          `the sync failed; trying again in ${Math.round(delay / 1000)} s`,
        );
        retryTimer = later(delay, () => requestSync('retry'));
      }
    } else if (!retryable) {
      failures = 0;
    }
    void deps.recordNextRun(task?.nextRun()).catch(() => undefined);
  }

  /** Asks for a sync; one already running is not disturbed, and the requests that arrive meanwhile are merged. */
  function requestSync(reason: string, only?: string): void {
    if (stopping) return;
    pending ??= { all: false, sessions: new Set(), reason };
    if (only === undefined) pending.all = true;
    else pending.sessions.add(only);
    if (running) return;
    running = (async () => {
      while (pending && !stopping) {
        const job = pending;
        pending = undefined;
        await syncNow(job);
      }
    })().finally(() => (running = undefined));
  }

  async function reload(why: string): Promise<void> {
    try {
      const next = await deps.loadSettings();
      const scheduleChanged = next.schedule !== settings.schedule;
      settings = next;
      keeper = deps.createKeeper(settings, refreshed);
      sessions = await deps.sessions(settings);
      log.info(
        { event: 'settings.reloaded', reason: why, schedule: settings.schedule, sessions: names() },
        `settings reloaded (${why})`,
      );
      if (scheduleChanged) reschedule();
      requestSync('settings');
    } catch (error) {
      const message = error instanceof SsoSyncError ? error.message : String(error);
      log.error(
        { event: 'settings.invalid', reason: why },
        `the new settings are not used, the previous ones stay: ${message}`,
      );
    }
  }

  // Why the config could not be read when it last changed, once reported.
  let readProblem: string | undefined;
  async function configChanged(): Promise<void> {
    // Read as a sync reads it, so that a file caught half-rewritten by another program is not reported as a removed
    // block. A file that cannot be read is reported once, until it can be read again or the problem changes.
    let text: string | undefined;
    try {
      text = (await readConfig(deps.configFile)).text;
      readProblem = undefined;
    } catch (error) {
      const message = error instanceof SsoSyncError ? error.message : String(error);
      if (message !== readProblem)
        log.warn(
          { event: 'config.unreadable_now', file: deps.configFile },
          `${message} (noticed when the file changed)`,
        );
      readProblem = message;
      return;
    }
    const hash = text === undefined ? undefined : sha(text);
    if (hash === configSeen) return; // sso-sync's own write, or no change
    configSeen = hash;
    if (text === undefined) {
      log.warn(
        { event: 'config.removed', file: deps.configFile },
        `${deps.configFile} was removed; the next sync writes it again`,
      );
      return;
    }
    const scan = scanConfig(text);
    if (scan.damage.length > 0) {
      log.warn(
        { event: 'config.damaged', file: deps.configFile, lines: scan.damage.map((d) => d.line) },
        `the sso-sync markers in ${deps.configFile} were damaged (line ${scan.damage.map((d) => d.line).join(', ')}); syncs refuse the file until they are repaired by hand`,
      );
      return;
    }
    const present = new Set(scan.blocks.map((b) => b.session));
    const missing = names().filter((s) => !present.has(s));
    if (missing.length > 0)
      log.warn(
        { event: 'block.removed', sessions: missing, file: deps.configFile },
        `the sso-sync block of ${missing.join(', ')} is gone from ${deps.configFile}; the next sync writes it again`,
      );
    const edited = scan.blocks.filter((b) => b.declaredChecksum !== b.actualChecksum).map((b) => b.session);
    if (edited.length > 0)
      log.warn(
        { event: 'block.edited_by_hand', sessions: edited, file: deps.configFile },
        `the sso-sync block of ${edited.join(', ')} was edited by hand; the next sync replaces it (with a backup)`,
      );
    const known = await deps.sessions(settings);
    if (known.some((s) => !names().includes(s.name))) {
      sessions = known;
      requestSync('new sso-session in the AWS config');
    }
  }

  async function tokenChanged(file: string): Promise<void> {
    for (const { name } of sessions) {
      if (path.resolve(tokenCachePath(deps.home, name)) !== path.resolve(file)) continue;
      const token = await readToken(deps.home, name).catch(() => undefined);
      if (!token || knownTokens.get(name) === sha(token.accessToken)) return; // sso-sync's own refresh, or unreadable
      knownTokens.set(name, sha(token.accessToken));
      signInNeeded.delete(name);
      notifiedSignIn.delete(name);
      refreshFailures.delete(name);
      log.info(
        { event: 'token.new', session: name, expiresAt: formatCacheTime(token.expiresAt) },
        `a new token for sso-session ${name} appeared (a sign-in); syncing it now`,
      );
      requestSync('sign-in', name);
    }
  }

  function debounced(fn: (file: string) => Promise<void>): (file: string) => void {
    const timers = new Map<string, NodeJS.Timeout>();
    return (file) => {
      clearTimeout(timers.get(file));
      timers.set(
        file,
        setTimeout(() => {
          timers.delete(file);
          if (!stopping) void fn(file).catch((error: unknown) => log.error({ event: 'daemon.error' }, String(error)));
        }, debounceMs),
      );
    };
  }

  const onConfig = debounced(() => configChanged());
  const onSettings = debounced(() => reload('the settings file changed'));
  const onToken = debounced((file) => tokenChanged(file));
  const cacheDir = path.dirname(tokenCachePath(deps.home, 'x'));
  const watcher = deps.watch([deps.configFile, deps.settingsFile, cacheDir], (file) => {
    const f = path.resolve(file);
    if (f === path.resolve(deps.configFile)) onConfig(f);
    else if (f === path.resolve(deps.settingsFile)) onSettings(f);
    else if (f.startsWith(path.resolve(cacheDir) + path.sep) && f.endsWith('.json')) onToken(f);
  });

  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      resolve(signal);
    };
    const hup = () => void reload('SIGHUP');
    deps.signals.on('SIGTERM', stop);
    deps.signals.on('SIGINT', stop);
    deps.signals.on('SIGHUP', hup);
  });

  // The tokens found at start are known; any other that appears later is a sign-in (or another tool's refresh).
  for (const { name } of sessions) {
    const token = await readToken(deps.home, name).catch(() => undefined);
    if (token) knownTokens.set(name, sha(token.accessToken));
  }
  log.info(
    { event: 'daemon.started', pid: process.pid, schedule: settings.schedule, sessions: names() },
    `sso-sync daemon started: ${names().join(', ') || 'no sso-session yet'}; schedule ${settings.schedule}`,
  );
  reschedule();
  requestSync('start');

  const signal = await stopped;
  log.info({ event: 'daemon.stopping', signal }, `${signal}: stopping after the sync in progress, if any`);
  task?.stop();
  clearTimeout(retryTimer);
  for (const t of tokenTimers.values()) clearTimeout(t);
  await watcher.close();
  controller.abort();
  // A write in progress finishes (it takes milliseconds); a sync still fetching after that is cancelled before it
  // writes anything, so waiting longer than a few seconds gains nothing.
  await Promise.race([Promise.all([running, ...refreshing]), clock.sleep(5_000)]);
  log.info({ event: 'daemon.stopped' }, 'sso-sync daemon stopped');
  return ExitCode.ok;
}
