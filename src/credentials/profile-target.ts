/**
 * Which session, account and role a credential-process profile stands for, read from the AWS config alone: the
 * AWS CLI runs `sso-sync credentials` with whatever environment it has, so nothing else (no settings, no state)
 * may be needed to find them. Pure: a scanned config in, a target or a problem out.
 */
import type { ScannedConfig } from '../core/config-text.js';
import { processKeys, sectionAssignment } from '../core/profile-style.js';
import type { SessionDef } from '../core/types.js';
import { sessionsFromConfig } from '../sync/sessions.js';

/** What `sso-sync credentials --profile NAME` fetches credentials for. */
export interface CredentialTarget {
  profile: string;
  session: SessionDef;
  accountId: string;
  roleName: string;
}

/** A target, or why there is none in words that end with what to do. */
export type TargetResult = { ok: true; target: CredentialTarget } | { ok: false; problem: string };

const rewrite = 'run `sso-sync --once` to write it again';

/**
 * Finds profile `name`: its section (in a block, or one the person copied outside), its `sso_sync_` keys (or the
 * `sso_` keys of the other styles), and the
 * definition of its session (outside the blocks first, as the AWS CLI and a sync read it, then in the blocks).
 */
export function findTarget(scan: ScannedConfig, name: string, file: string): TargetResult {
  const inBlocks = scan.blocks.flatMap((b) => b.sections.map((section) => ({ section, block: b.session })));
  const all = [...scan.outside.map((section) => ({ section, block: undefined })), ...inBlocks];
  const found = all.find(({ section }) => section.kind === 'profile' && section.name === name);
  if (found === undefined) {
    return {
      ok: false,
      problem:
        `there is no profile ${name} in ${file}: ${rewrite} (a sync with profiles.style credential-process ` +
        'writes it), or correct the name after --profile in its credential_process line',
    };
  }
  const values = found.section.values;
  // A profile of another style names its account and role too: it is served as well (by hand, say).
  const sessionName = values.get(processKeys.session) ?? values.get('sso_session') ?? found.block;
  const { accountId, roleName } = sectionAssignment(values);
  if (sessionName === undefined || accountId === undefined || roleName === undefined) {
    const missing = [
      sessionName === undefined && processKeys.session,
      accountId === undefined && processKeys.accountId,
      roleName === undefined && processKeys.roleName,
    ].filter(Boolean);
    return {
      ok: false,
      problem:
        `profile ${name} in ${file} (line ${found.section.line + 1}) does not say which ` +
        `${missing.length > 1 ? 'session, account and role' : 'session, account or role'} it stands for ` +
        `(no ${missing.join(', ')}): ${rewrite}`,
    };
  }
  const definitions = [
    ...sessionsFromConfig(scan.outside).sessions,
    ...sessionsFromConfig(scan.blocks.flatMap((b) => b.sections)).sessions,
  ];
  const session = definitions.find((s) => s.name === sessionName);
  if (session === undefined) {
    return {
      ok: false,
      problem:
        `profile ${name} stands for sso-session ${sessionName}, which ${file} does not define ` +
        `(no [sso-session ${sessionName}] section with sso_start_url and sso_region): ${rewrite}`,
    };
  }
  return { ok: true, target: { profile: name, session, accountId, roleName } };
}
