/** `sso-sync status`: per session, the token, the last sync and the profiles managed; and whether a daemon runs. */
import { refreshBlocker } from '../auth/refresh-blocker.js';
import { readConfig } from '../config-file/config-file.js';
import { scanConfig, type ScannedConfig } from '../core/config-text.js';
import type { SessionDef } from '../core/types.js';
import { errorMessage, ExitCode, SsoSyncError } from '../errors.js';
import { runningDaemon } from '../daemon/single-instance.js';
import { oldestListing, readRoleCache } from '../sync/role-cache.js';
import { readState } from '../sync/sync-state.js';
import { expiryMarginMs, formatCacheTime, readToken } from '../token/cache.js';
import { configPath, tokenCachePath } from '../paths.js';

/** What status reports about one session. */
export interface SessionStatus {
  name: string;
  startUrl: string;
  region: string;
  token:
    | { state: 'missing' | 'unreadable'; file: string; problem?: string }
    | { state: 'valid' | 'expired'; file: string; expiresAt: string; refreshable: boolean; whyNot?: string };
  lastSync: { at: string; outcome: string; message?: string } | undefined;
  /** Profiles in the session's block of the AWS config. */
  profiles: number;
  /**
   * The role lists scheduled syncs keep: when a sync last listed every account's roles, and the oldest list kept;
   * `problem` when the cache is not used (the next sync lists every account); undefined when there is none yet.
   */
  roles: { lastFullScan: string; oldestList: string | undefined; accounts: number } | { problem: string } | undefined;
}

/** The session's role cache, as status reports it. */
async function rolesOf(stateDir: string, session: SessionDef): Promise<SessionStatus['roles']> {
  const read = await readRoleCache(stateDir, session);
  if (read.state === 'missing') return undefined;
  if (read.state === 'ignored') return { problem: `${read.file} is not used: ${read.why}` };
  const oldest = oldestListing(read.cache);
  return {
    lastFullScan: new Date(read.cache.fullScanAt).toISOString(),
    oldestList: oldest === undefined ? undefined : new Date(oldest).toISOString(),
    accounts: read.cache.accounts.size,
  };
}

/** The whole report. */
export interface StatusReport {
  configFile: string;
  /** Why the AWS config cannot be used (a directory, unreadable, UTF-16…), as a sync would say it; exit 4. */
  configProblem?: string;
  /** Set when the AWS config does not exist; `fromEnv` when its path came from AWS_CONFIG_FILE. */
  configMissing?: { fromEnv: boolean };
  daemon: { running: false } | { running: true; pid: number; startedAt: string; nextRun: string | undefined };
  sessions: SessionStatus[];
}

/** The AWS config as status reads it, once: its path, text and scan, or why no sync can use it. */
export interface StatusConfig {
  file: string;
  /** Undefined when the file does not exist; empty when it cannot be used. */
  text: string | undefined;
  problem: string | undefined;
  scan: ScannedConfig;
}

/** Reads the AWS config for status; never throws (a config no sync can use is a `problem`). */
export async function readStatusConfig(env: NodeJS.ProcessEnv): Promise<StatusConfig> {
  const file = configPath(env);
  const read = await readConfig(file).then(
    (c) => ({ text: c.text, problem: undefined }),
    (error: unknown) => ({ text: '', problem: errorMessage(error) }),
  );
  return { file, ...read, scan: scanConfig(read.text ?? '') };
}

/** What status says of a session's token. */
async function tokenOf(home: string, session: string, now: Date): Promise<SessionStatus['token']> {
  const file = tokenCachePath(home, session);
  try {
    const t = await readToken(home, session);
    const blocker = refreshBlocker(t, now);
    return {
      state: t.expiresAt.getTime() - now.getTime() >= expiryMarginMs ? 'valid' : 'expired',
      file,
      expiresAt: formatCacheTime(t.expiresAt),
      refreshable: blocker === undefined,
      ...(blocker ? { whyNot: blocker } : {}),
    };
  } catch (error) {
    const missing = error instanceof SsoSyncError && /has no token|\(no /.test(error.message);
    return {
      state: missing ? 'missing' : 'unreadable',
      file,
      ...(missing ? {} : { problem: errorMessage(error).split(':').slice(0, 2).join(':') }),
    };
  }
}

/**
 * Gathers the report; reads only, never writes. The files are read at once rather than one after the other: each
 * read waits on the file system's threads, and status is wanted at once. `config` is the config when it has been
 * read already.
 */
export async function gatherStatus(options: {
  env: NodeJS.ProcessEnv;
  home: string;
  stateDir: string;
  sessions: SessionDef[];
  now: Date;
  config?: StatusConfig;
}): Promise<StatusReport> {
  const { home, now } = options;
  const [config, state, daemon, found] = await Promise.all([
    options.config ?? readStatusConfig(options.env),
    readState(options.stateDir),
    runningDaemon(options.stateDir),
    Promise.all(options.sessions.map((s) => Promise.all([tokenOf(home, s.name, now), rolesOf(options.stateDir, s)]))),
  ]);
  const sessions = options.sessions.map((s, i): SessionStatus => {
    const [token, roles] = found[i]!;
    const last = state.sessions[s.name];
    const block = config.scan.blocks.find((b) => b.session === s.name);
    return {
      name: s.name,
      startUrl: s.startUrl,
      region: s.region,
      token,
      lastSync: last
        ? { at: last.lastSync, outcome: last.outcome, ...(last.message ? { message: last.message } : {}) }
        : undefined,
      profiles: block?.sections.filter((x) => x.kind === 'profile').length ?? 0,
      roles,
    };
  });
  return {
    configFile: config.file,
    ...(config.problem === undefined ? {} : { configProblem: config.problem }),
    ...(config.text === undefined ? { configMissing: { fromEnv: Boolean(options.env.AWS_CONFIG_FILE) } } : {}),
    daemon: daemon
      ? { running: true, pid: daemon.pid, startedAt: daemon.startedAt, nextRun: state.daemon?.nextRun }
      : { running: false },
    sessions,
  };
}

function when(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  const abs = Math.abs(ms);
  const span =
    abs < 90_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 90 * 60_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 36 * 3600_000
          ? `${Math.round(abs / 3600_000)} h`
          : `${Math.round(abs / 86400_000)} days`;
  return `${iso.replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1Z')} (${ms >= 0 ? `in ${span}` : `${span} ago`})`;
}

/** What the role cache says, in a line. */
function rolesLine(roles: SessionStatus['roles'], now: Date): string {
  if (roles === undefined) return 'not listed yet (the next sync lists every account)';
  if ('problem' in roles) return `${roles.problem}; the next sync lists every account`;
  const oldest = roles.oldestList ? `; oldest role list ${when(roles.oldestList, now)}` : '';
  return `last full scan ${when(roles.lastFullScan, now)}${oldest} (${roles.accounts} accounts)`;
}

/** What follows the config's path: that it does not exist, and where the path came from. */
function configNote(report: StatusReport): string {
  if (report.configMissing === undefined) return '';
  return report.configMissing.fromEnv
    ? ' (does not exist; the path comes from AWS_CONFIG_FILE: point it at your AWS config, or unset it)'
    : ' (does not exist yet)';
}

/** The report as lines a person reads. */
export function formatStatus(report: StatusReport, now: Date): string {
  const lines: string[] = [];
  const d = report.daemon;
  lines.push(
    d.running
      ? `daemon: running (pid ${d.pid}, since ` +
          `${when(d.startedAt, now)})${d.nextRun ? `; next sync ${when(d.nextRun, now)}` : ''}`
      : 'daemon: not running (start it with `sso-sync service install`, or run `sso-sync`)',
  );
  lines.push(`config: ${report.configFile}${configNote(report)}`);
  if (report.configProblem !== undefined) lines.push(`  cannot be used: ${report.configProblem}`);
  else if (report.sessions.length === 0)
    lines.push(
      '',
      'no sso-session is configured: create one with `sso-sync init` (or `aws configure sso-session`) ' +
        'or in the settings file.',
    );
  for (const s of report.sessions) {
    lines.push('', `sso-session ${s.name} (${s.startUrl}, ${s.region})`);
    const t = s.token;
    if (!('expiresAt' in t)) {
      lines.push(
        `  token:     ${t.state === 'missing' ? 'none' : (t.problem ?? 'unreadable')}; ` +
          `run \`sso-sync login --session ${s.name}\``,
      );
    } else {
      const state = t.state === 'valid' ? `valid until ${when(t.expiresAt, now)}` : `expired ${when(t.expiresAt, now)}`;
      const refresh = t.refreshable ? 'refreshable' : `not refreshable: it ${t.whyNot}`;
      lines.push(
        `  token:     ${state}, ` +
          `${refresh}${t.state === 'expired' && !t.refreshable ? `; run \`sso-sync login --session ${s.name}\`` : ''}`,
      );
    }
    const last = s.lastSync;
    const why = last?.message ? `: ${last.message}` : '';
    lines.push(`  last sync: ${last ? `${when(last.at, now)}, ${last.outcome}${why}` : 'never'}`);
    lines.push(`  profiles:  ${s.profiles}`);
    lines.push(`  roles:     ${rolesLine(s.roles, now)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `sso-sync status [--json]`. */
export async function statusCommand(options: {
  env: NodeJS.ProcessEnv;
  home: string;
  stateDir: string;
  sessions: SessionDef[];
  now: Date;
  config?: StatusConfig;
  json: boolean;
  out: (text: string) => void;
}): Promise<ExitCode> {
  const report = await gatherStatus(options);
  options.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, options.now));
  // A config no sync can use is the same failure as a sync's: exit 4.
  return report.configProblem === undefined ? ExitCode.ok : ExitCode.configRefused;
}
