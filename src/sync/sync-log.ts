/** The log lines of a sync: every event it logs and the text a person reads for it, in one place. */
import type { Damage } from '../core/config-text.js';
import type { ProfileChange, SessionOutcome } from '../core/plan.js';
import { keyOf, type Skipped } from '../core/profile-names.js';
import type { SessionDef } from '../core/types.js';
import { isSecretKey, masked } from '../core/secrets.js';
import type { SessionConflict, SessionProblem } from './sessions.js';
import { errorCode, errorMessage, type SsoSyncError } from '../errors.js';
import { describeWriters, type OpenWriter } from '../fs/open-writers.js';
import type { Logger } from '../log/logger.js';

/** Quotes text that came from the API before it goes into a message, so it cannot fake a log line. */
const q = (text: string | undefined) => JSON.stringify(text ?? '');

/** The config starts with a UTF-8 byte-order mark. */
export function warnBom(log: Logger, file: string): void {
  log.warn(
    { event: 'config.bom', file },
    `${file} starts with a UTF-8 byte-order mark, which the AWS CLI v2 cannot read ("Unable to parse config file"); ` +
      `sso-sync keeps it, but remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' ${file}`,
  );
}

/** `[sso-session]` sections of the config that cannot be synced, and why. */
export function warnUnusableSessions(log: Logger, file: string, problems: readonly SessionProblem[]): void {
  for (const p of problems) {
    log.warn(
      { event: 'session.unusable', session: p.session, file },
      `[sso-session ${p.session}] in ${file} is not synced: ${p.problem}`,
    );
  }
}

/** Sessions defined both in the config and in the settings, differently: the config's section is used. */
export function warnConflicts(
  log: Logger,
  file: string,
  settingsSource: string | undefined,
  conflicts: readonly SessionConflict[],
): void {
  for (const c of conflicts) {
    log.warn(
      { event: 'session.conflict', session: c.session, keys: c.keys, file, settings: settingsSource },
      `sso-session ${c.session} is defined both in ${file} and in ${settingsSource ?? 'the settings'}, ` +
        `with different ${c.keys.join(', ')}; the section in ${file} is used, as the AWS CLI uses it`,
    );
  }
}

/** The service refused a token that looked valid: it is refreshed once. */
export function logTokenRejected(log: Logger, session: string): void {
  log.info({ event: 'token.rejected', session }, `the service refused the token for ${session}; refreshing it once`);
}

/** One session's assignments arrived. */
export function logFetched(
  log: Logger,
  session: string,
  assignments: number,
  stats: { requests: number; retries: number; throttled: number },
): void {
  log.debug(
    { event: 'fetch.completed', session, assignments, ...stats },
    `fetched ${assignments} assignments for ${session} in ${stats.requests} requests ` +
      `(${stats.retries} retries, ${stats.throttled} throttled)`,
  );
}

/** One session could not be fetched; the others go on. */
export function logSessionFailed(log: Logger, session: string, error: SsoSyncError): void {
  const event = error.code === 'sign-in.required' ? 'login.required' : 'sync.failed';
  log.error({ event, session, code: error.code }, error.message);
}

/** The daemon is stopping: nothing is written. */
export function logCancelled(log: Logger): void {
  log.info(
    { event: 'sync.cancelled' },
    'stopping: the sync is cancelled before writing; the AWS config is left as it was',
  );
}

/** The file changed while syncing, and the merge was redone on its new content. */
export function logRaced(log: Logger, file: string, redone: number): void {
  if (redone === 0) return;
  log.info({ event: 'config.raced', file, redone }, `${file} changed while syncing; merged again on the new content`);
}

/** Hand edits inside the blocks were replaced; the file before is in `backup`. */
export function warnHandEdits(
  log: Logger,
  file: string,
  outcomes: readonly SessionOutcome[],
  backup: string | undefined,
): void {
  for (const o of outcomes) {
    if (!o.handEdited) continue;
    log.warn(
      { event: 'block.edited', session: o.session, replaced: o.handEdited.sections, backup, file },
      `the sso-sync block for ${o.session} in ${file} was edited by hand; ` +
        `the edits were replaced (${o.handEdited.sections.join(', ') || 'comments or spacing'}). ` +
        `The previous file is saved in ${backup ?? '(no backup)'}; ` +
        'put lasting changes outside the block or in the settings',
    );
  }
}

/** Blocks of sessions no longer configured, left as they are. */
export function warnOrphans(log: Logger, file: string, orphans: readonly string[]): void {
  for (const orphan of orphans) {
    log.warn(
      { event: 'block.orphaned', session: orphan, file },
      `${file} has an sso-sync block for sso-session ${orphan}, which is no longer configured; ` +
        'it is left as it is (delete it by hand if it is no longer wanted)',
    );
  }
}

/** Says why the AWS CLI cannot read the file, when a section or key in it is given twice. */
export function warnUnreadable(log: Logger, file: string, problems: readonly Damage[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).map((d) => `line ${d.line}: ${d.problem}`);
  if (problems.length > 5) shown.push(`and ${problems.length - 5} more`);
  log.warn(
    { event: 'config.unreadable', file, problems },
    `the AWS CLI cannot read ${file} ("Unable to parse config file"): ` +
      `it refuses a section or a key given twice (${shown.join('; ')}); ` +
      'sso-sync still syncs its blocks and leaves the rest as it is, ' +
      'but merge the repeats by hand for any profile to work',
  );
}

/** Why an assignment got no profile. */
export function skipMessage(s: Skipped): string {
  const a = s.assignment;
  const what = `account ${q(a.accountName)} (${q(a.accountId)}), role ${q(a.roleName)}`;
  switch (s.reason) {
    case 'name-taken':
      return (
        `profile ${s.name} is already defined ${s.takenBy ?? "outside sso-sync's blocks"}; ` +
        `that section wins and the profile for ${what} is not generated (rename one of them to get both)`
      );
    case 'invalid-account-id':
      return `the API returned ${what} with an account id that is not 12 digits; skipped`;
    case 'invalid-role-name':
      return `the API returned ${what} with a role name that is not a valid IAM role name; skipped`;
    case 'excluded-account':
      return `${what} is excluded by ${s.by ?? 'profiles.exclude_accounts'}`;
    case 'excluded-role':
      return `${what} is excluded by ${s.by ?? 'profiles.exclude_roles'}`;
    case 'unusable-entry':
      return `the API returned ${s.problem ?? 'an entry that cannot be used'}; that entry is skipped`;
  }
}

/** The role cache of a session could not be used: this cycle lists every account's roles, and writes it anew. */
export function warnCacheIgnored(log: Logger, session: string, file: string, why: string): void {
  log.warn(
    { event: 'roles.cache_ignored', session, file, why },
    `the role cache ${file} of sso-session ${session} is not used: ${why}. ` +
      'This sync lists the roles of every account and writes the cache anew',
  );
}

/** The role lists could not be kept: the next scheduled cycle of the session lists every account's roles. */
export function warnCacheUnwritten(log: Logger, session: string, stateDir: string, error: unknown): void {
  const why = errorCode(error) ?? errorMessage(error);
  log.warn(
    { event: 'roles.cache_unwritten', session, stateDir, code: errorCode(error) },
    `the role lists of sso-session ${session} could not be kept in ${stateDir} (${why}); ` +
      'the next scheduled sync lists the roles of every account again. Check that the directory is writable',
  );
}

/** How an outcome's lines are told: a dry run says "would be", and the summary says whether the file was written. */
export interface OutcomeContext {
  dryRun: boolean;
  written: boolean;
  durationMs: number;
  /** How the session's roles were scanned: fully or not, the requests sent, the accounts whose roles were listed. */
  scan?: { full: boolean; requests: number; rolesListed: number } | undefined;
}

/** The fields every line of an outcome carries. */
const baseOf = (o: SessionOutcome, dryRun: boolean) => ({ session: o.session, ...(dryRun ? { dryRun: true } : {}) });

/** Changed keys as logged: secret values masked. */
const shownKeys = (keys: ProfileChange['keys']) =>
  keys.map((k) => (isSecretKey(k.key) ? { key: k.key, before: k.before && masked, after: k.after && masked } : k));

/** A line for each profile renamed: its old and new names, and the keys that changed with it, if any. */
function logRenames(log: Logger, o: SessionOutcome, dryRun: boolean): void {
  const verb = dryRun ? 'would be ' : '';
  for (const r of o.renamed) {
    const keys = shownKeys(r.keys);
    const fields = { profile: r.to, from: r.from, to: r.to, accountId: r.accountId, role: r.roleName };
    log.info(
      { event: 'profile.renamed', ...baseOf(o, dryRun), ...fields, region: r.region, ...(keys.length ? { keys } : {}) },
      `${r.from} ${verb}renamed to ${r.to} (account ${r.accountId}, role ${r.roleName}` +
        `${r.region === undefined ? '' : `, region ${r.region}`})` +
        (keys.length ? `; changed ${keys.map((k) => k.key).join(', ')}` : ''),
    );
  }
}

/** A line for each profile added, removed or changed; secret values in a change are masked. */
function logChanges(log: Logger, o: SessionOutcome, dryRun: boolean): void {
  const base = baseOf(o, dryRun);
  const verb = dryRun ? 'would be ' : '';
  for (const p of o.added) {
    // The region tells apart the profiles of an assignment with several regions.
    const region = keyOf(p, 'region');
    log.info(
      { event: 'profile.added', ...base, profile: p.name, accountId: p.accountId, role: p.roleName, region },
      `${p.name} ${verb}added (account ${p.accountId}, role ${p.roleName})`,
    );
  }
  for (const p of o.removed) {
    log.info(
      {
        event: 'profile.removed',
        ...base,
        profile: p.name,
        accountId: p.accountId,
        role: p.roleName,
        region: p.values.region,
      },
      `${p.name} ${verb}removed (account ${p.accountId ?? '?'}, role ${p.roleName ?? '?'})`,
    );
  }
  for (const c of o.changed) {
    const keys = shownKeys(c.keys);
    log.info(
      { event: 'profile.changed', ...base, profile: c.name, accountId: c.accountId, role: c.roleName, keys },
      `${c.name} ${verb}changed (${keys.map((k) => k.key).join(', ')})`,
    );
  }
}

/** A line for each assignment without a profile: a warning, unless the settings excluded it. */
function logSkipped(log: Logger, o: SessionOutcome, dryRun: boolean): void {
  for (const s of o.skipped) {
    const level = s.reason.startsWith('excluded') ? 'debug' : 'warn';
    const { accountId, roleName: role } = s.assignment;
    log[level](
      { event: 'profile.skipped', ...baseOf(o, dryRun), reason: s.reason, profile: s.name, accountId, role },
      skipMessage(s),
    );
  }
}

/** The update held by the removal guard, with the command that applies it. */
function logHeld(log: Logger, o: SessionOutcome, dryRun: boolean): void {
  if (!o.held) return;
  const { wouldRemove, of, maxRemovalShare } = o.held;
  log.error(
    { event: 'sync.held', ...baseOf(o, dryRun), wouldRemove, of, maxRemovalShare },
    `the update for sso-session ${o.session} would remove ${wouldRemove} of its ${of} profiles ` +
      `(more than ${Math.round(maxRemovalShare * 100)}%), so it was held and the block left as it was; ` +
      `if the assignments really were removed, run \`sso-sync --once --allow-mass-removal --session ${o.session}\``,
  );
}

/** Every line of one session's outcome: its changes, skipped assignments, a held update, and a summary. */
export function logOutcome(log: Logger, o: SessionOutcome, context: OutcomeContext): void {
  logChanges(log, o, context.dryRun);
  logRenames(log, o, context.dryRun);
  logSkipped(log, o, context.dryRun);
  logHeld(log, o, context.dryRun);
  const { dryRun, written, durationMs } = context;
  const [added, removed, changed, renamed] = [o.added.length, o.removed.length, o.changed.length, o.renamed.length];
  const note = dryRun ? ' (dry run, nothing written)' : written ? '' : ', file unchanged';
  log.info(
    {
      event: 'sync.completed',
      ...baseOf(o, dryRun),
      added,
      removed,
      changed,
      renamed,
      profiles: o.profileCount,
      held: o.held !== undefined,
      written,
      durationMs,
      ...context.scan,
    },
    `sso-session ${o.session}: ${o.profileCount} profiles, ` +
      `${added} added, ${removed} removed, ${changed} changed${renamed ? `, ${renamed} renamed` : ''}${note}`,
  );
}

/** The sessions a run syncs. */
export function logStarted(log: Logger, sessions: readonly SessionDef[], file: string, dryRun: boolean): void {
  log.debug(
    { event: 'sync.started', sessions: sessions.map((s) => s.name), file, dryRun },
    `syncing ${sessions.map((s) => s.name).join(', ')}`,
  );
}

/** The write waits for other programs to finish writing the file (they emptied it and have not written it all). */
export function logWritersWait(log: Logger, file: string, writers: readonly OpenWriter[]): void {
  log.info(
    { event: 'config.busy', file, writers: writers.map((w) => ({ pid: w.pid, command: w.command })) },
    `${file} is open for writing by ${describeWriters(writers)}; waiting for it to finish before writing`,
  );
}

/** The config was another user's and is now this one's: only root can give a file away. */
export function logOwnerLost(log: Logger, file: string, owner: { uid: number; gid: number }): void {
  const me = process.getuid?.() ?? '?';
  log.warn(
    { event: 'config.owner_changed', file, previousUid: owner.uid, previousGid: owner.gid, uid: me },
    `${file} belonged to uid ${owner.uid} (gid ${owner.gid}); sso-sync runs as uid ${me} and could not keep ` +
      `that owner, so the file is now owned by uid ${me}. If it must stay the other account's, run ` +
      `\`sudo chown ${owner.uid}:${owner.gid} ${file}\` and run sso-sync as that account`,
  );
}

/**
 * Overrides (`profiles.accounts`) that matched no assignment in a sync of every configured session: a typo in an
 * account id or name would otherwise do nothing, silently. Said once per sync.
 */
export function warnUnmatchedOverrides(log: Logger, source: string | undefined, keys: readonly string[]): void {
  for (const key of keys) {
    const role = key.includes('.roles.');
    const what = role ? 'role of the accounts it is under' : 'account you are assigned';
    log.warn(
      { event: 'settings.unmatched', key, file: source },
      `${source ?? 'settings'}: ${key} matches no ${what}, so it does nothing; ` +
        `check the ${role ? 'role name' : 'account id or name'} for a typo (or remove it if the assignment is gone)`,
    );
  }
}
