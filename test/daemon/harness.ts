/**
 * The daemon in this process, on a fake clock, with its edges replaced: syncs, the keeper, the schedule, the
 * watches, the signals and notifications are the test's; the token cache is a real temp directory.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { pino } from 'pino';
import { RefusedRefreshes } from '../../src/auth/refused-refreshes.js';
import type { Clock, Timer } from '../../src/clock/clock.js';
import type { SessionDef } from '../../src/core/types.js';
import { beginMarkerLine, bodyChecksum, endMarkerLine } from '../../src/core/config-text.js';
import { configFacts } from '../../src/daemon/config-facts.js';
import { runDaemon, type DaemonDeps, type Refreshed, type Scheduled } from '../../src/daemon/daemon.js';
import type { WatchedPath } from '../../src/daemon/watch-files.js';
import { SsoSyncError } from '../../src/errors.js';
import type { Logger } from '../../src/log/logger.js';
import { zeroSettings, type Settings } from '../../src/settings/schema.js';
import type { SyncReport, SyncRequest } from '../../src/sync/run-once.js';
import { summarize } from '../../src/daemon/sync-summary.js';
import { readToken, writeToken, type CachedToken } from '../../src/token/cache.js';
import { tokenCachePath } from '../../src/paths.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

export const startUrl = 'https://d-1234567890.awsapps.com/start';

/** An sso-session as the config defines it. */
export const session = (name = 'mycorp'): SessionDef => ({ name, startUrl, region: 'eu-north-1', scopes: [] });

export const ok: SyncReport = { exitCode: 0, written: false, outcomes: [], failures: [] };
/** A sync that failed for a passing reason (the portal answered 500). */
export const awsFailed: SyncReport = {
  exitCode: 1,
  written: false,
  outcomes: [],
  failures: [{ session: 'mycorp', error: new SsoSyncError('aws.failed', 'boom', { retryable: true }) }],
};
export const signInRequired: SyncReport = {
  exitCode: 3,
  written: false,
  outcomes: [],
  failures: [{ session: 'mycorp', error: new SsoSyncError('sign-in.required', 'sign in') }],
};

/** A config holding a valid block for each session (one profile each). */
export function configWithBlocks(...sessions: string[]): string {
  return sessions
    .map((name) => {
      const body = [`[profile ${name}-prod]`, `sso_session = ${name}`, 'sso_account_id = 111111111111'];
      return [beginMarkerLine(name, bodyChecksum(body)), ...body, endMarkerLine(name)].join('\n') + '\n';
    })
    .join('\n');
}

/** A logger that keeps its JSON lines for the test to read. */
export function recordingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

/** A cron schedule faked with the clock's timers: fires every `everyMs`. */
export function fakeSchedule(clock: Clock, everyMs: number, expressions: string[] = []): DaemonDeps['schedule'] {
  return (expression, task): Scheduled => {
    expressions.push(expression);
    let next = clock.now() + everyMs;
    let timer: Timer;
    const arm = () => {
      timer = clock.setTimer(next - clock.now(), () => {
        next += everyMs;
        arm();
        task();
      });
    };
    arm();
    return { stop: () => timer.cancel(), nextRun: () => new Date(next) };
  };
}

/** A cached token for the session: refreshable unless told, valid for `lifeMs` from `now`. */
export function token(now: number, lifeMs: number, accessToken: string, refreshable = true): Omit<CachedToken, 'file'> {
  return {
    startUrl,
    region: 'eu-north-1',
    accessToken,
    expiresAt: new Date(now + lifeMs),
    clientId: refreshable ? 'client' : undefined,
    clientSecret: refreshable ? 'secret' : undefined,
    registrationExpiresAt: refreshable ? new Date(now + 90 * 86400_000) : undefined,
    refreshToken: refreshable ? 'refresh' : undefined,
    other: {},
  };
}

/** How the harness's daemon is set up. */
export interface HarnessOptions {
  /** What the syncs report, in turn (then ok); a function is called with the request. */
  reports?: (SyncReport | ((request: SyncRequest) => SyncReport | Promise<SyncReport>))[];
  /** How long a sync takes, on the fake clock. */
  syncMs?: number;
  /** The keeper's refresh; without one, a refresh fails the test (no token exists unless the test writes one). */
  refresh?: (name: string, onRefreshed: Refreshed) => Promise<CachedToken>;
  /** The settings each load gives, in turn (the last one stays); an Error is an invalid settings file. */
  settings?: (Partial<Settings> | Error)[];
  sessions?: SessionDef[];
  /** The scheduled syncs' interval (1 h unless told). */
  scheduleMs?: number;
  /** This installation's place in the schedule (0 unless told). */
  offset?: number;
  /** The draws for each scheduled run's jitter (always 0 unless told). */
  random?: () => number;
}

/** Sets up a daemon (not started: call `start()`): its clock, what it did, and how to act on it. */
export function harness(t: { after(fn: () => void): void }, options: HarnessOptions = {}) {
  const home = tempDir(t, 'sso-sync-daemon-');
  const clock = new FakeClock();
  const signals = new EventEmitter();
  const { log, lines } = recordingLog();
  const syncs: { at: number; request: SyncRequest; endedAt?: number }[] = [];
  const notifications: string[] = [];
  const expressions: string[] = [];
  const settingsQueue = [...(options.settings ?? [{}])];
  const reports = [...(options.reports ?? [])];
  const world = {
    sessions: options.sessions ?? [session()],
    config: undefined as string | undefined | Error,
    changed: undefined as ((file: string) => void) | undefined,
    watched: [] as WatchedPath[],
    refreshes: [] as number[],
  };
  const runSync = async (request: SyncRequest): Promise<SyncReport> => {
    const call: (typeof syncs)[number] = { at: clock.now(), request };
    syncs.push(call);
    if (options.syncMs) await clock.sleep(options.syncMs);
    const next = reports.shift() ?? ok;
    const report = typeof next === 'function' ? await next(request) : next;
    call.endedAt = clock.now();
    return report;
  };
  const deps: DaemonDeps = {
    clock,
    log,
    home,
    configFile: path.join(home, '.aws', 'config'),
    settingsFile: path.join(home, 'settings.yml'),
    loadSettings: () => {
      const next = settingsQueue.length > 1 ? settingsQueue.shift()! : settingsQueue[0]!;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve({ ...zeroSettings(), ...next });
    },
    sessions: () => Promise.resolve(world.sessions),
    runSync: async (request) => summarize(await runSync(request)),
    recordNextRun: () => Promise.resolve(),
    tokenWritesSettled: () => Promise.resolve(),
    createKeeper: (_settings, onRefreshed) => ({
      refresh: (s: SessionDef) => {
        world.refreshes.push(clock.now());
        if (!options.refresh) return Promise.reject(new Error('no refresh was expected here'));
        return options.refresh(s.name, onRefreshed);
      },
    }),
    schedule: fakeSchedule(clock, options.scheduleMs ?? 3600_000, expressions),
    scheduleOffset: () => Promise.resolve(options.offset ?? 0),
    random: options.random ?? (() => 0),
    watch: (paths, onChange) => {
      world.watched = paths;
      world.changed = onChange;
      return { close: () => Promise.resolve() };
    },
    readToken: (name) => readToken(home, name).catch(() => undefined),
    inspectConfig: () =>
      world.config instanceof Error ? Promise.reject(world.config) : Promise.resolve(configFacts(world.config)),
    signals: signals,
    notify: (title, text) => notifications.push(`${title}: ${text}`),
    refused: new RefusedRefreshes(),
  };
  if (!options.refresh)
    t.after(() =>
      assert.deepEqual(world.refreshes, [], 'no refreshable token exists here, so no refresh may be tried'),
    );
  let done: Promise<number> | undefined;
  let exited = false;
  return {
    clock,
    deps,
    home,
    world,
    syncs,
    notifications,
    expressions,
    /** The daemon's log lines with this event. */
    events: (event: string) => lines.filter((l) => l.event === event),
    lines,
    /** Starts the daemon and lets its start settle. */
    async start() {
      done = runDaemon(deps).then((code) => ((exited = true), code));
      await clock.advance(0);
    },
    exited: () => exited,
    signal: (name: NodeJS.Signals) => signals.emit(name, name),
    /** SIGTERM, then the exit status once the daemon has stopped (advancing the clock by `ms` first). */
    async stop(ms = 0) {
      signals.emit('SIGTERM', 'SIGTERM');
      await clock.advance(ms);
      return done!;
    },
    /** What the watcher tells the daemon when a file changed. */
    change: (file: string) => world.changed!(file),
    /** Writes a token into the cache (as a sign-in or a refresh does). */
    writeToken: (name: string, value: Omit<CachedToken, 'file'>) => writeToken(home, name, value),
    tokenFile: (name = 'mycorp') => tokenCachePath(home, name),
  };
}
