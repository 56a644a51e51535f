/** One sync cycle: settings, config, tokens, assignments, plan, write, and a log line for every change. */
import type { SsoApi } from '../aws/sso-api.js';
import type { TokenKeeper } from '../auth/token-keeper.js';
import type { Clock } from '../clock/clock.js';
import {
  readConfig,
  readStill,
  removeLeftovers,
  type ConfigSnapshot,
  type WriteOptions,
} from '../config-file/config-file.js';
import { warnOfTakeover } from '../log/takeover-warning.js';
import { scanConfig, unreadableIn, type Damage, type ScannedConfig } from '../core/config-text.js';
import { planSync, type PlanInput, type ReadyPlan, type SessionOutcome } from '../core/plan.js';
import { ExitCode, SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { configPath, stateDir } from '../paths.js';
import { loadSettings } from '../settings/load.js';
import type { Settings } from '../settings/schema.js';
import { chooseSessions } from './choose-sessions.js';
import { dryRunReport } from './dry-run.js';
import { ownCommand, planStyle } from './plan-style.js';
import { printedBlocks } from './print-blocks.js';
import { fetchSessions, type ApiOptions, type SessionFailure } from './fetch-sessions.js';
import type { OnProgress } from './progress.js';
import { logSettingsNotices } from '../settings/settings-notices.js';
import type { ScanOptions, ScanReport } from './role-scan.js';
import {
  logCancelled,
  logOutcome,
  logRaced,
  logStarted,
  warnBom,
  warnHandEdits,
  warnOrphans,
  warnUnmatchedOverrides,
  warnUnreadable,
} from './sync-log.js';
import { writePlan, type PlanWritten } from './write-plan.js';

/** What a sync needs from outside. */
export interface SyncDeps {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  /** A portal API client for a region, abandoning a call after `requestTimeoutMs`, at most `maxRate` requests/s. */
  createApi: (region: string, options: ApiOptions) => SsoApi;
  /** Keeps tokens fresh; built from the settings' refresh window. */
  createKeeper: (refreshWindowMs: number) => TokenKeeper;
  /** Where a dry run prints its diff. */
  out: (text: string) => void;
  /** Test hooks of the writer: between writing the temp file and the checks, and right after the rename. */
  writeHooks?: Pick<WriteOptions, 'afterTempWritten' | 'afterRename'>;
  /** Hears how the fetching goes, and that it is over (the progress line on a terminal; never the daemon). */
  onProgress?: OnProgress | undefined;
}

/** What the person asked for. */
export interface SyncRequest {
  sessions: string[];
  /** Sessions left out of this sync (the daemon's, waiting for a sign-in); their blocks are left alone. */
  skip?: readonly string[];
  dryRun: boolean;
  /** With dryRun: print the managed blocks the sync would write instead of the diff. */
  print?: boolean;
  allowMassRemoval: boolean;
  settingsFile: string | undefined;
  /** When aborted (the daemon is stopping), a sync that has not begun writing writes nothing. */
  signal?: AbortSignal;
  /** Settings already loaded and validated (the daemon's); otherwise they are read from the settings file. */
  settings?: Settings;
  /**
   * What a scheduled cycle does: list the accounts, and the roles only of new accounts and of those due, taking the
   * others from the role cache. Otherwise (by default) a full scan lists every account's roles.
   */
  incremental?: boolean;
  /** Sessions scanned fully even in an incremental run (one just signed in to). */
  fullScan?: string[];
}

/** How a sync ended. */
export interface SyncReport {
  exitCode: ExitCode;
  written: boolean;
  outcomes: SessionOutcome[];
  failures: SessionFailure[];
  /** True when the sync was cancelled before writing: nothing was written, and nothing is to be recorded. */
  cancelled?: boolean;
  /** The AWS config's content as this sync left it (written or read), as a byte string. */
  configText?: string;
}

/** The exit-4 error for damaged markers, naming each damaged line. */
export function damageError(file: string, damage: readonly Damage[]): SsoSyncError {
  const lines = damage.map((d) => `${file}:${d.line}: ${d.problem}`);
  return new SsoSyncError(
    'config.refused',
    `the sso-sync markers in ${file} are damaged, so it was not written:\n  ${lines.join('\n  ')}\n` +
      'Repair or delete the damaged block by hand ' +
      "(every line between a BEGIN and its END marker is sso-sync's), then run again.",
  );
}

/** Plans on a text, as often as the file changes under the write; damaged markers in it are refused. */
function planner(
  file: string,
  input: Omit<PlanInput, 'text'>,
): (text: string | undefined, scan?: ScannedConfig) => ReadyPlan {
  return (text, scan) => {
    const plan = planSync({ ...input, text, scan });
    if (!plan.ok) throw damageError(file, plan.damage);
    return plan;
  };
}

/** The end of a sync, written or not: what is left to say about the file, a summary per session, the exit code. */
function finish(
  log: Logger,
  file: string,
  request: SyncRequest,
  done: Pick<PlanWritten, 'plan' | 'written' | 'configText'> & {
    failures: SessionFailure[];
    durationMs: number;
    scans: ReadonlyMap<string, ScanReport>;
    /** The settings file, and whether every configured session was fetched (only then is "matches nothing" sure). */
    overrides: { source: string | undefined; allFetched: boolean };
  },
): SyncReport {
  const { plan, written, configText, failures, durationMs, scans } = done;
  warnOrphans(log, file, plan.orphanBlocks);
  if (done.overrides.allFetched) warnUnmatchedOverrides(log, done.overrides.source, plan.unmatchedOverrides);
  // Judged on the file as the sync leaves it (a dry run: would leave it): a repeat the sync removed is not reported,
  // one another program wrote meanwhile is, and the lines are the file's lines now.
  warnUnreadable(log, file, unreadableIn((request.dryRun ? plan.text : configText) ?? ''));
  for (const o of plan.outcomes)
    logOutcome(log, o, { dryRun: request.dryRun, written, durationMs, scan: scans.get(o.session) });
  const held = plan.outcomes.some((o) => o.held);
  const exitCode = failures[0]?.error.exitCode ?? (held ? ExitCode.aws : ExitCode.ok);
  return { exitCode, written, outcomes: plan.outcomes, failures, configText };
}

/**
 * The AWS config, read and scanned; damaged markers are refused, before any network call. A read that shows them may
 * be half of another program's write (one that rewrites the file in place, caught mid-write): the file is read again
 * until it holds still (see readStill), and only damage still there then is refused as damaged. A file that keeps
 * changing, or that a program holds open for writing, is refused as such (exit 4, nothing written); one that held
 * still undamaged is synced.
 */
async function readScanned(file: string, clock: Clock): Promise<{ snapshot: ConfigSnapshot; scan: ScannedConfig }> {
  const first = await readConfig(file, { clock });
  const scan = scanConfig(first.text ?? '');
  if (scan.damage.length === 0) return { snapshot: first, scan };
  const snapshot = await readStill(first, { clock });
  const still = snapshot.text === first.text ? scan : scanConfig(snapshot.text ?? '');
  if (still.damage.length > 0) throw damageError(file, still.damage);
  return { snapshot, scan: still };
}

/**
 * No AWS config, and no session in the settings either: nothing can be synced. Says where the path came from, so
 * that an AWS_CONFIG_FILE naming the wrong file is seen for what it is.
 */
function noConfig(file: string, env: NodeJS.ProcessEnv): SsoSyncError {
  if (env.AWS_CONFIG_FILE) {
    return new SsoSyncError(
      'usage',
      `${file} does not exist: the path comes from AWS_CONFIG_FILE (${env.AWS_CONFIG_FILE}). Point AWS_CONFIG_FILE ` +
        'at your AWS config, or unset it to use ~/.aws/config.',
    );
  }
  return new SsoSyncError(
    'usage',
    `${file} does not exist yet: run \`sso-sync init\` to set up an sso-session (or create one with ` +
      '`aws configure sso-session`, or add one under sessions: in the settings file), then run again.',
  );
}

/** Runs one sync cycle. Whole-run problems (settings, a refused file) throw; a failing session is reported. */
export async function runOnce(deps: SyncDeps, request: SyncRequest): Promise<SyncReport> {
  const { env, clock, log } = deps;
  const started = clock.now();
  const settings = request.settings ?? (await loadSettings(request.settingsFile, env));
  // Settings the daemon gives were reported when it read them; read here, they are reported here.
  if (request.settings === undefined) logSettingsNotices(log, settings);
  const file = configPath(env);
  const { snapshot, scan } = await readScanned(file, clock);
  if (snapshot.text === undefined && settings.sessions.length === 0) throw noConfig(file, env);
  if (scan.bom) warnBom(log, file);
  const chosen = chooseSessions(log, settings, scan.outside, request.sessions, file);
  const { configured } = chosen;
  const sessions = chosen.sessions.filter((s) => request.skip?.includes(s.name) !== true);
  const style = planStyle(settings.style, ownCommand());
  logStarted(log, sessions, file, request.dryRun);

  const keeper = deps.createKeeper(settings.refreshWindowMs);
  const roles = scanOptions(deps, request, settings, started);
  const { fetched, failures, scans } = await fetchSessions({ ...deps, keeper, scan: roles }, sessions, settings.sync);
  deps.onProgress?.({ kind: 'fetched' });
  const guard = {
    maxRemovalShare: settings.sync.maxRemovalShare,
    allowMassRemoval: request.allowMassRemoval || settings.sync.allowMassRemoval,
  };
  const planFor = planner(file, {
    fetched,
    configuredSessions: configured,
    rules: settings.rules,
    style,
    chains: settings.chains,
    guard,
  });
  const firstPlan = planFor(snapshot.text, scan);
  if (!request.dryRun && request.signal?.aborted) {
    logCancelled(log);
    return {
      exitCode: ExitCode.ok,
      written: false,
      outcomes: [],
      failures,
      cancelled: true,
      configText: snapshot.text,
    };
  }
  // The file as this sync leaves it, as far as it knows: the text read, or written.
  let done = { plan: firstPlan, written: false, configText: snapshot.text };
  if (request.dryRun && request.print === true) {
    deps.out(
      printedBlocks(
        firstPlan,
        fetched.map((f) => f.session.name),
      ),
    );
  } else if (request.dryRun) {
    deps.out(
      dryRunReport(
        file,
        snapshot.text,
        firstPlan,
        failures.map((f) => f.session),
      ),
    );
  } else if (fetched.length > 0 && firstPlan.changed) {
    // Nothing to change means no lock and no write access needed: a read-only directory stays usable.
    const result = await writePlan({ env, clock, log, snapshot, firstPlan, planFor, hooks: deps.writeHooks });
    logRaced(log, file, result.redone);
    if (result.written) warnHandEdits(log, file, result.plan.outcomes, result.backup);
    done = result;
  }
  // A sync that wrote nothing still clears what a killed writer left (a write does so under its lock).
  if (!request.dryRun && !done.written) await removeLeftovers(snapshot.realPath, warnOfTakeover(log));
  const allFetched = configured.every((name) => fetched.some((f) => f.session.name === name));
  const overrides = { source: settings.source, allFetched };
  return finish(log, file, request, { ...done, failures, scans, overrides, durationMs: clock.now() - started });
}

/** How the run scans roles: a full scan unless it is incremental; the role lists are kept unless it is a dry run. */
function scanOptions(deps: SyncDeps, request: SyncRequest, settings: Settings, now: number): ScanOptions {
  return {
    stateDir: stateDir(deps.env),
    now,
    incremental: request.incremental === true,
    fullFor: request.fullScan ?? [],
    maxAgeMs: settings.sync.rolesMaxAgeMs,
    keep: !request.dryRun,
  };
}
