/** One sync cycle: settings, config, tokens, assignments, plan, write, and a log line for every change. */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { SsoApi } from '../aws/sso-api.js';
import type { TokenKeeper } from '../auth/token-keeper.js';
import type { Clock } from '../clock/clock.js';
import { readConfig, writeConfig, type WriteOptions } from '../config-file/config-file.js';
import { scanConfig, unreadableIn, type Damage } from '../core/config-text.js';
import { planSync, type Plan, type SessionFetch, type SessionOutcome } from '../core/plan.js';
import type { Skipped } from '../core/profile-names.js';
import { isSecretKey, masked, maskSecretValues } from '../core/secrets.js';
import { describeFsError, ExitCode, fsRemedy, SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { fsyncDir, newFile } from '../fs/replace-file.js';
import { loadSettings } from '../settings/load.js';
import type { Settings } from '../settings/schema.js';
import { fetchAssignments } from './fetch-assignments.js';
import { selectSessions, sessionsFromConfig } from './sessions.js';
import { backupsDir, configPath, stateDir } from '../paths.js';

/** What a sync needs from outside. */
export interface SyncDeps {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  /** A portal API client for a region, abandoning a call after `requestTimeoutMs`. */
  createApi: (region: string, options: { requestTimeoutMs: number }) => SsoApi;
  /** Keeps tokens fresh; built from the settings' refresh window. */
  createKeeper: (refreshWindowMs: number) => TokenKeeper;
  /** Where a dry run prints its diff. */
  out: (text: string) => void;
  /** Test hooks of the writer: between writing the temp file and the checks, and right after the rename. */
  writeHooks?: Pick<WriteOptions, 'afterTempWritten' | 'afterRename'>;
}

/** What the person asked for. */
export interface SyncRequest {
  sessions: string[];
  dryRun: boolean;
  allowMassRemoval: boolean;
  settingsFile: string | undefined;
  /** When aborted (the daemon is stopping), a sync that has not begun writing writes nothing. */
  signal?: AbortSignal;
  /** Settings already loaded and validated (the daemon's); otherwise they are read from the settings file. */
  settings?: Settings;
}

/** How a sync ended. */
export interface SyncReport {
  exitCode: ExitCode;
  written: boolean;
  outcomes: SessionOutcome[];
  failures: { session: string; error: SsoSyncError }[];
  /** True when the sync was cancelled before writing: nothing was written, and nothing is to be recorded. */
  cancelled?: boolean;
  /** The AWS config's content as this sync left it (written or read), as a byte string. */
  configText?: string;
}

/** Quotes text that came from the API before it goes into a message, so it cannot fake a log line. */
const q = (text: string | undefined) => JSON.stringify(text ?? '');

function damageError(file: string, damage: readonly Damage[]): SsoSyncError {
  const lines = damage.map((d) => `${file}:${d.line}: ${d.problem}`);
  return new SsoSyncError(
    'config.refused',
    `the sso-sync markers in ${file} are damaged, so it was not written:\n  ${lines.join('\n  ')}\n` +
      "Repair or delete the damaged block by hand (every line between a BEGIN and its END marker is sso-sync's), then run again.",
  );
}

function skipMessage(s: Skipped): string {
  const a = s.assignment;
  const what = `account ${q(a.accountName)} (${q(a.accountId)}), role ${q(a.roleName)}`;
  switch (s.reason) {
    case 'name-taken':
      return `profile ${s.name} is already defined ${s.takenBy ?? "outside sso-sync's blocks"}; that section wins and the profile for ${what} is not generated (rename one of them to get both)`;
    case 'invalid-account-id':
      return `the API returned ${what} with an account id that is not 12 digits; skipped`;
    case 'invalid-role-name':
      return `the API returned ${what} with a role name that is not a valid IAM role name; skipped`;
    case 'excluded-account':
      return `${what} is excluded by profiles.exclude_accounts`;
    case 'excluded-role':
      return `${what} is excluded by profiles.exclude_roles`;
  }
}

/** Saves a copy of the config's text in the state directory's backups, durably; resolves with its path. */
async function saveCopy(env: NodeJS.ProcessEnv, clock: Clock, text: string): Promise<string> {
  const dir = backupsDir(stateDir(env));
  const stamp = new Date(clock.now()).toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `config-${stamp}-${randomBytes(3).toString('hex')}.bak`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await newFile(file, Buffer.from(text, 'latin1'), 0o600);
  await fsyncDir(dir);
  return file;
}

async function backup(env: NodeJS.ProcessEnv, clock: Clock, text: string, configFile: string): Promise<string> {
  const dir = backupsDir(stateDir(env));
  try {
    // Durable before the config is replaced: it may be the only copy of the hand edit.
    return await saveCopy(env, clock, text);
  } catch (error) {
    // No backup, no replacement of the hand edit: the file is left as it is (newFile leaves no partial backup).
    throw new SsoSyncError(
      'config.refused',
      `the sso-sync block in ${configFile} was edited by hand, and the backup of the file could not be saved in ${dir}: ${describeFsError(error)}. Nothing was written; ${fsRemedy(error)}, then run again.`,
      { cause: error },
    );
  }
}

function logOutcome(
  log: Logger,
  o: SessionOutcome,
  extra: { dryRun: boolean; written: boolean; durationMs: number },
): void {
  const base = { session: o.session, ...(extra.dryRun ? { dryRun: true } : {}) };
  const verb = extra.dryRun ? 'would be ' : '';
  for (const p of o.added) {
    log.info(
      { event: 'profile.added', ...base, profile: p.name, accountId: p.accountId, role: p.roleName },
      `${p.name} ${verb}added (account ${p.accountId}, role ${p.roleName})`,
    );
  }
  for (const p of o.removed) {
    log.info(
      { event: 'profile.removed', ...base, profile: p.name, accountId: p.accountId, role: p.roleName },
      `${p.name} ${verb}removed (account ${p.accountId ?? '?'}, role ${p.roleName ?? '?'})`,
    );
  }
  for (const c of o.changed) {
    const keys = c.keys.map((k) =>
      isSecretKey(k.key) ? { key: k.key, before: k.before && masked, after: k.after && masked } : k,
    );
    log.info(
      { event: 'profile.changed', ...base, profile: c.name, accountId: c.accountId, role: c.roleName, keys },
      `${c.name} ${verb}changed (${keys.map((k) => k.key).join(', ')})`,
    );
  }
  for (const s of o.skipped) {
    const level = s.reason.startsWith('excluded') ? 'debug' : 'warn';
    log[level](
      {
        event: 'profile.skipped',
        ...base,
        reason: s.reason,
        profile: s.name,
        accountId: s.assignment.accountId,
        role: s.assignment.roleName,
      },
      skipMessage(s),
    );
  }
  if (o.held) {
    const { wouldRemove, of, maxRemovalShare } = o.held;
    log.error(
      { event: 'sync.held', ...base, wouldRemove, of, maxRemovalShare },
      `the update for sso-session ${o.session} would remove ${wouldRemove} of its ${of} profiles (more than ${Math.round(maxRemovalShare * 100)}%), so it was held and the block left as it was; ` +
        `if the assignments really were removed, run \`sso-sync --once --allow-mass-removal --session ${o.session}\``,
    );
  }
  log.info(
    {
      event: 'sync.completed',
      ...base,
      added: o.added.length,
      removed: o.removed.length,
      changed: o.changed.length,
      profiles: o.profileCount,
      held: o.held !== undefined,
      written: extra.written,
      durationMs: extra.durationMs,
    },
    `sso-session ${o.session}: ${o.profileCount} profiles, ${o.added.length} added, ${o.removed.length} removed, ${o.changed.length} changed${extra.dryRun ? ' (dry run, nothing written)' : extra.written ? '' : ', file unchanged'}`,
  );
}

/** Says why the AWS CLI cannot read the file, when a section or key in it is given twice. */
function warnUnreadable(log: Logger, file: string, problems: readonly Damage[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).map((d) => `line ${d.line}: ${d.problem}`);
  if (problems.length > 5) shown.push(`and ${problems.length - 5} more`);
  log.warn(
    { event: 'config.unreadable', file, problems },
    `the AWS CLI cannot read ${file} ("Unable to parse config file"): it refuses a section or a key given twice (${shown.join('; ')}); ` +
      'sso-sync still syncs its blocks and leaves the rest as it is, but merge the repeats by hand for any profile to work',
  );
}

/** Runs one sync cycle. Whole-run problems (settings, a refused file) throw; a failing session is reported. */
export async function runOnce(deps: SyncDeps, request: SyncRequest): Promise<SyncReport> {
  const { env, clock, log } = deps;
  const started = clock.now();
  const settings = request.settings ?? (await loadSettings(request.settingsFile, env));
  const file = configPath(env);
  const snapshot = await readConfig(file);
  const scan = scanConfig(snapshot.text ?? '');
  // A damaged file is refused before any network call.
  if (scan.damage.length > 0) throw damageError(file, scan.damage);
  if (scan.bom) {
    log.warn(
      { event: 'config.bom', file },
      `${file} starts with a UTF-8 byte-order mark, which the AWS CLI v2 cannot read ("Unable to parse config file"); sso-sync keeps it, but remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' ${file}`,
    );
  }

  const fromConfig = sessionsFromConfig(scan.outside);
  for (const p of fromConfig.problems) {
    log.warn(
      { event: 'session.unusable', session: p.session, file },
      `[sso-session ${p.session}] in ${file} is not synced: ${p.problem}`,
    );
  }
  const { sessions, conflicts } = selectSessions(
    settings.sessions,
    fromConfig.sessions,
    request.sessions,
    settings.source,
    file,
  );
  for (const c of conflicts) {
    log.warn(
      { event: 'session.conflict', session: c.session, keys: c.keys, file, settings: settings.source },
      `sso-session ${c.session} is defined both in ${file} and in ${settings.source}, with different ${c.keys.join(', ')}; the section in ${file} is used, as the AWS CLI uses it`,
    );
  }
  log.debug(
    { event: 'sync.started', sessions: sessions.map((s) => s.name), file, dryRun: request.dryRun },
    `syncing ${sessions.map((s) => s.name).join(', ')}`,
  );

  const keeper = deps.createKeeper(settings.refreshWindowMs);
  const fetched: SessionFetch[] = [];
  const failures: SyncReport['failures'] = [];
  for (const session of sessions) {
    try {
      const api = deps.createApi(session.region, { requestTimeoutMs: settings.sync.requestTimeoutMs });
      const token = await keeper.tokenForSync(session);
      let assignments;
      try {
        assignments = await fetchAssignments(api, session, token.accessToken, settings.sync.concurrency);
      } catch (error) {
        if (!(error instanceof SsoSyncError && error.code === 'sign-in.required')) throw error;
        // The service refused a token that looked valid: refresh once and try again; a second refusal stands.
        log.info(
          { event: 'token.rejected', session: session.name },
          `the service refused the token for ${session.name}; refreshing it once`,
        );
        const fresh = await keeper.refresh(session, token.accessToken);
        assignments = await fetchAssignments(api, session, fresh.accessToken, settings.sync.concurrency);
      }
      const stats = api.stats();
      log.debug(
        { event: 'fetch.completed', session: session.name, assignments: assignments.length, ...stats },
        `fetched ${assignments.length} assignments for ${session.name} in ${stats.requests} requests (${stats.retries} retries, ${stats.throttled} throttled)`,
      );
      fetched.push({ session, assignments });
    } catch (error) {
      if (!(error instanceof SsoSyncError)) throw error;
      failures.push({ session: session.name, error });
      const event = error.code === 'sign-in.required' ? 'login.required' : 'sync.failed';
      log.error({ event, session: session.name, code: error.code }, error.message);
    }
  }

  const guard = {
    maxRemovalShare: settings.sync.maxRemovalShare,
    allowMassRemoval: request.allowMassRemoval || settings.sync.allowMassRemoval,
  };
  const planFor = (text: string | undefined): Extract<Plan, { ok: true }> => {
    const plan = planSync({
      text,
      fetched,
      configuredSessions: [...settings.sessions.map((s) => s.name), ...fromConfig.sessions.map((s) => s.name)],
      rules: settings.rules,
      guard,
    });
    if (!plan.ok) throw damageError(file, plan.damage);
    return plan;
  };

  const firstPlan = planFor(snapshot.text);
  let plan = firstPlan;
  let written = false;
  // The file as this sync leaves it, as far as it knows: the text read, or written.
  let configText = snapshot.text;
  if (request.dryRun) {
    if (plan.changed) {
      // The person's own lines appear as context: a credential among them is shown masked.
      const show = (t: string | undefined) => maskSecretValues(Buffer.from(t ?? '', 'latin1').toString('utf8'));
      deps.out(
        createTwoFilesPatch(file, file, show(snapshot.text), show(plan.text), 'current', 'after sync (dry run)'),
      );
    } else {
      deps.out(`no change to ${file}\n`);
    }
  } else if (request.signal?.aborted) {
    log.info(
      { event: 'sync.cancelled' },
      'stopping: the sync is cancelled before writing; the AWS config is left as it was',
    );
    return {
      exitCode: ExitCode.ok,
      written: false,
      outcomes: [],
      failures,
      cancelled: true,
      configText: snapshot.text,
    };
  } else if (fetched.length > 0 && plan.changed) {
    // Nothing to change means no lock and no write access needed: a read-only directory stays usable.
    let backupFile: string | undefined;
    let backedUp: string | undefined;
    const result = await writeConfig(
      snapshot,
      (current) => {
        // The plan for the content read first is already made; only a file changed meanwhile needs a new one
        // (and a file changed back to what was read first gets the first plan again).
        plan = current === snapshot.text ? firstPlan : planFor(current);
        return plan.changed ? plan.text : undefined;
      },
      {
        ...deps.writeHooks,
        keepUnmerged: (text) => saveCopy(env, clock, text),
        beforeCommit: async (previous) => {
          // Called before every try of the write; one backup of each content is enough.
          if (previous !== undefined && previous !== backedUp && plan.outcomes.some((o) => o.handEdited)) {
            backupFile = await backup(env, clock, previous, file);
            backedUp = previous;
          }
        },
      },
    );
    written = result.written;
    // Written, or found already as it should be after a redo on another program's change.
    if (written || !plan.changed) configText = plan.text;
    if (result.redone > 0)
      log.info(
        { event: 'config.raced', file, redone: result.redone },
        `${file} changed while syncing; merged again on the new content`,
      );
    for (const o of plan.outcomes) {
      if (o.handEdited && written) {
        log.warn(
          { event: 'block.edited', session: o.session, replaced: o.handEdited.sections, backup: backupFile, file },
          `the sso-sync block for ${o.session} in ${file} was edited by hand; the edits were replaced (${o.handEdited.sections.join(', ') || 'comments or spacing'}). The previous file is saved in ${backupFile}; put lasting changes outside the block or in the settings`,
        );
      }
    }
  }
  for (const orphan of plan.orphanBlocks) {
    log.warn(
      { event: 'block.orphaned', session: orphan, file },
      `${file} has an sso-sync block for sso-session ${orphan}, which is no longer configured; it is left as it is (delete it by hand if it is no longer wanted)`,
    );
  }
  // Judged on the file as the sync leaves it (a dry run: would leave it): a repeat the sync removed is not reported,
  // one another program wrote meanwhile is, and the lines are the file's lines now.
  warnUnreadable(log, file, unreadableIn((request.dryRun ? plan.text : configText) ?? ''));
  const durationMs = clock.now() - started;
  for (const o of plan.outcomes) logOutcome(log, o, { dryRun: request.dryRun, written, durationMs });

  const held = plan.outcomes.filter((o) => o.held);
  const exitCode = failures[0]?.error.exitCode ?? (held.length > 0 ? ExitCode.aws : ExitCode.ok);
  return { exitCode, written, outcomes: plan.outcomes, failures, configText };
}
